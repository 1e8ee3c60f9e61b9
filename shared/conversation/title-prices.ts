/**
 * What a listed title costs, for "the cheaper one" / "the more expensive one" after a shopper named
 * titles together (list-ordinal.ts). A series' price is its plain copy's: the volume the turn named
 * (else its first; a box set has no volume), the format the turn named (else the plain edition: no
 * parenthesis such as "(Ebook)", then the shortest title). Built from the catalog (kb/catalog.json); refuses to guess: no price when
 * the series has no priced copy that fits.
 */
import { normalizeForEntities } from '../cache/entities.ts';
import { seriesName } from '../cache/store-gazetteer.ts';

export interface PricedTitle {
  title: string;
  price?: number;
  volume?: number | null;
  format?: string;
}

export class TitlePrices {
  private readonly bySeries = new Map<string, PricedTitle[]>();

  constructor(catalog: readonly PricedTitle[], endWords: readonly string[] = []) {
    for (const t of catalog) {
      if (typeof t.price !== 'number') continue;
      const s = normalizeForEntities(seriesName(t.title, endWords));
      this.bySeries.set(s, [...(this.bySeries.get(s) ?? []), t]);
    }
  }

  /** The price of a series' copy (`series` as entities write it), or undefined. */
  priceOf(series: string, volume?: string, format?: string): number | undefined {
    const all = this.bySeries.get(series) ?? [];
    // A numbered series is priced by its volumes (its box sets have none); a series without volumes by its copies.
    const numbered = all.filter((t) => typeof t.volume === 'number');
    const want = volume ? Number(volume) : Math.min(...numbered.map((t) => t.volume as number));
    const byVolume = numbered.length ? numbered.filter((t) => t.volume === want) : volume && volume !== '1' ? [] : all;
    const byFormat = format ? byVolume.filter((t) => normalizeForEntities(t.format ?? '') === format) : byVolume;
    // The plain edition: a title without a parenthesis ("(Ebook)", "(Japanese Edition)"), then the shortest.
    const plainness = (t: PricedTitle) => (t.title.includes('(') ? 1000 : 0) + t.title.length;
    return [...byFormat].sort((a, b) => plainness(a) - plainness(b))[0]?.price;
  }
}
