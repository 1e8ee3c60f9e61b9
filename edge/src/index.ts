/** The edge Worker's entry point (wrangler.toml `main`). */
import { app } from './app.ts';

export default app;
