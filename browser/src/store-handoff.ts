/**
 * The one piece of domain data the element needs before (or without) the device: the handoff
 * message shown when the edge cannot be reached. It comes from its own small build module
 * (`switchyard:page-info`), so the page's eager code carries just that string; the rest of the
 * pack's data (FAQ, routes, catalog, manifests) is in `switchyard:build-info`, which only the
 * device chunk imports, on interest.
 */
import { handoff } from 'switchyard:page-info';

export const handoffText: string = handoff;
