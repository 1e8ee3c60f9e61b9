/** The edge Worker's entry point (wrangler.toml `main`). */
import { app } from './app.ts';

export { SessionStore } from './session/session-object.ts';
export default app;
