/**
 * Intent classification over any onnxruntime: tokenize, run the graph, softmax, then apply the
 * calibrated out-of-scope and routing thresholds stored in the model's config.json (per intent
 * when a tuned routing config was applied to them).
 */
import { WordPieceTokenizer } from '../tokenizer/wordpiece.ts';
import { bertFeeds, type OrtSession, type OrtTensorConstructor } from './onnx-session.ts';

export const OOS = 'oos';

/** The `switchyard` block of a classifier's config.json. */
export interface ClassifierCalibration {
  /** Below this top probability the message is out of scope. */
  oosThreshold: number;
  /** At or above this top probability the intent is trusted for routing (precision >= 99% on val). */
  routeThreshold: number;
  /**
   * At or above this probability a top label of `oos` is trusted too: the message is declined from
   * the `oos` route (a template) with no LLM. Absent (older models, sets without `oos`): never.
   */
  declineThreshold?: number;
  /**
   * Per-intent routing thresholds from a tuned routing config (shared/routing/routing-config.ts);
   * an intent without one uses `routeThreshold`.
   */
  intentThresholds?: Readonly<Record<string, number>>;
  /** name@version of the routing config the per-intent and decline thresholds came from. */
  routingConfig?: string;
}

/** The confidence an intent must reach to be routed with no LLM: its own threshold, else the global one. */
export function routeThresholdFor(c: ClassifierCalibration, intent: string): number {
  return c.intentThresholds?.[intent] ?? c.routeThreshold;
}

export interface IntentPrediction {
  /** Final intent after the out-of-scope decision. */
  intent: string;
  /** Top softmax probability. */
  confidence: number;
  /** The arg-max label before the out-of-scope decision. */
  topLabel: string;
  /**
   * True when the prediction may be acted on with no LLM: an in-scope intent whose confidence clears
   * the routing threshold, or a top label of `oos` that clears the decline threshold.
   */
  confident: boolean;
}

/** The out-of-scope and routing decision for a top label and its probability. */
export function decideIntent(topLabel: string, confidence: number, c: ClassifierCalibration): IntentPrediction {
  const intent = topLabel === OOS || confidence < c.oosThreshold ? OOS : topLabel;
  const confident = intent !== OOS ? confidence >= routeThresholdFor(c, intent) : topLabel === OOS && confidence >= (c.declineThreshold ?? Number.POSITIVE_INFINITY);
  return { intent, confidence, topLabel, confident };
}

export class IntentClassifier {
  constructor(
    readonly tokenizer: WordPieceTokenizer,
    private readonly session: OrtSession,
    private readonly Tensor: OrtTensorConstructor,
    readonly labels: string[],
    readonly calibration: ClassifierCalibration,
  ) {}

  /** The same model (one session) deciding with other thresholds, e.g. a routing config's. */
  withCalibration(calibration: ClassifierCalibration): IntentClassifier {
    return new IntentClassifier(this.tokenizer, this.session, this.Tensor, this.labels, calibration);
  }

  async logits(texts: string[]): Promise<Float32Array[]> {
    const enc = this.tokenizer.encodeBatch(texts);
    const out = await this.session.run(bertFeeds(this.session, this.Tensor, enc));
    const logits = out.logits;
    if (!logits) throw new Error('classifier graph has no logits output');
    const data = logits.data as Float32Array;
    const C = this.labels.length;
    return texts.map((_, b) => data.slice(b * C, (b + 1) * C));
  }

  async classify(texts: string[]): Promise<IntentPrediction[]> {
    return (await this.logits(texts)).map((l) => this.decide(l));
  }

  decide(logits: Float32Array): IntentPrediction {
    let max = -Infinity;
    let arg = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) (max = logits[i]), (arg = i);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
    return decideIntent(this.labels[arg], 1 / sum, this.calibration);
  }
}
