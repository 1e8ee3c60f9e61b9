/**
 * The domain data the element needs before (or without) the device: the handoff message shown
 * when the edge cannot be reached, and the pack's words for the widget (heading, placeholder,
 * welcome…). They come from their own small build module (`switchyard:page-info`), so the page's
 * eager code carries just those strings; the rest of the
 * pack's data (FAQ, routes, catalog, manifests) is in `switchyard:build-info`, which only the
 * device chunk imports, on interest.
 */
import { handoff, widgetStrings } from 'switchyard:page-info';
import type { PackWords } from './ui/strings.ts';

export const handoffText: string = handoff;
export const packWords: PackWords = widgetStrings;
