/**
 * A pack's knowledge base (the default: domains/kitsune-books/kb/) as documents: one per catalog item
 * (`KB-SKU-0001`, a readable text of its fields, its type's label and price as domain.json's `catalog` says), one per `##` section of policies.md
 * (`policies#returns-refunds`, the README's slug rule; the preamble under the `#` title is
 * `policies#kitsune-books-store-policies`), one per FAQ entry (`faq-001`). seedStoreKb ingests the
 * ones whose content hash changed and deletes KB documents that are gone from the files.
 */
import { dirname } from 'node:path';
import { catalogTextOf, policySectionsOf, slugify, type CatalogItem, type CatalogText, type FaqEntry, type PolicySection } from '../../../shared/domain/store-kb.ts';
import type { DomainPack, KbSection } from '../../../shared/domain/pack-check.ts';
import { domainPack } from '../domain/pack-files.ts';
import { STORE_KB_DIR, storeCatalog, storeFaq, storePolicies } from '../domain/store-files.ts';
import type { Store } from '../store/types.ts';
import type { Embedder } from './embedder.ts';
import { checkEmbedderFits, documentHash, ingestDocument, type IngestInput, type IngestOptions } from './ingest.ts';

export { STORE_KB_DIR };
export const STORE_KB_SOURCE = 'store-kb';

/** A catalog item as a document; its type's label and its price are the pack's (domain.json `catalog`, catalogTextOf). */
export function catalogDocument(item: CatalogItem, words: CatalogText): IngestInput {
  const availability = item.preorder
    ? `Preorder${item.releaseDate ? `: releases ${item.releaseDate}` : ''}.`
    : item.stock > 0
      ? `In stock (${item.stock} ${item.stock === 1 ? 'copy' : 'copies'}).`
      : 'Out of stock.';
  const lines = [
    item.title,
    `${words.typeLabel(item.type)} by ${item.author}.${item.volume != null ? ` Volume ${item.volume}.` : ''} Format: ${item.format}. Language: ${item.language}.`,
    `Genres: ${item.genre.join(', ')}. Age rating: ${item.ageRating}.`,
    `Price: ${words.price(item.price)}. ${availability}`,
    item.description,
  ];
  return {
    id: item.id,
    title: item.title,
    text: lines.join('\n'),
    source: STORE_KB_SOURCE,
    url: `catalog.json#${item.id}`,
    metadata: { kind: 'catalog', type: item.type, author: item.author, price: item.price, stock: item.stock, preorder: item.preorder },
  };
}

/** One document per `##` section (its `###` subsections included); the text before the first `##`, if any, is the `#` title's document. */
export function policyDocuments(markdown: string): IngestInput[] {
  return policySectionsOf(markdown).map(policyDocument);
}

function policyDocument({ heading: title, lines }: PolicySection): IngestInput {
  const slug = slugify(title);
  return { id: `policies#${slug}`, title, text: lines.join('\n').trim(), source: STORE_KB_SOURCE, url: `policies.md#${slug}`, metadata: { kind: 'policy' } };
}

export function faqDocument(entry: FaqEntry): IngestInput {
  return {
    id: entry.id,
    title: entry.question,
    text: `${entry.question}\n${entry.answer}`,
    source: STORE_KB_SOURCE,
    url: `faq.json#${entry.id}`,
    metadata: { kind: 'faq', intent: entry.intent },
  };
}

/** The kb/ folder `dir`'s documents (catalog words from the domain.json beside it). */
export async function loadStoreKb(dir = STORE_KB_DIR): Promise<IngestInput[]> {
  const words = catalogTextOf(domainPack(dirname(dir)).domain);
  return uniqueIds([...storeCatalog(dir).map((item) => catalogDocument(item, words)), ...storePolicies(dir).map(policyDocument), ...storeFaq(dir).map(faqDocument)]);
}

/** A section of one of a domain pack's kb/*.md files (`<stem>#<slug>`; kitsune-books' policies.md gives the ids above). */
function sectionDocument(s: KbSection): IngestInput {
  const slug = s.id.slice(s.id.indexOf('#') + 1);
  return { id: s.id, title: s.title, text: s.text, source: STORE_KB_SOURCE, url: `${s.file.replace(/^kb\//, '')}#${slug}`, metadata: { kind: 'policy' } };
}

/** A validated domain pack's knowledge base as documents: catalog titles, kb/*.md sections, FAQ entries. */
export function packKbDocuments(pack: DomainPack): IngestInput[] {
  const words = catalogTextOf(pack.domain);
  return uniqueIds([...pack.catalog.map((item) => catalogDocument(item, words)), ...pack.sections.map(sectionDocument), ...pack.faq.map(faqDocument)]);
}

function uniqueIds(docs: IngestInput[]): IngestInput[] {
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id)) throw new Error(`store KB has two documents with id ${d.id}`);
    seen.add(d.id);
  }
  return docs;
}

export interface SeedReport {
  documents: number;
  ingested: number;
  unchanged: number;
  deleted: number;
  chunks: number;
}

/** Ingests the knowledge base of `pack` (else the kb/ folder `dir`, else the default store's). */
export async function seedStoreKb(store: Store, embedder: Embedder, opts: IngestOptions & { dir?: string; pack?: DomainPack } = {}): Promise<SeedReport> {
  checkEmbedderFits(store, embedder);
  const { dir, pack, ...ingestOpts } = opts;
  const docs = pack ? packKbDocuments(pack) : await loadStoreKb(dir);
  const existing = new Map((await store.listDocuments(STORE_KB_SOURCE)).map((d) => [d.id, d.contentHash]));
  const report: SeedReport = { documents: docs.length, ingested: 0, unchanged: 0, deleted: 0, chunks: 0 };
  for (const doc of docs) {
    if (!ingestOpts.force && existing.get(doc.id) === documentHash(doc, ingestOpts, embedder.name)) {
      report.unchanged++;
      continue;
    }
    const r = await ingestDocument(store, embedder, doc, { ...ingestOpts, force: true });
    report.ingested++;
    report.chunks += r.chunks;
  }
  const ids = new Set(docs.map((d) => d.id));
  for (const id of existing.keys()) if (!ids.has(id) && (await store.deleteDocument(id))) report.deleted++;
  return report;
}
