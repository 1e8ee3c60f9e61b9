/**
 * The one piece of store data the element needs before (or without) the device: the handoff
 * message shown when the edge cannot be reached. A named import of one key, so the bundler keeps
 * just that string in the page's eager code; the rest of the store data (FAQ, routes, catalog,
 * manifests) lives in store-data.ts, loaded with the device chunk on interest.
 */
import { handoff } from '../../domains/kitsune-books/templates.json';

export const handoffText: string = handoff;
