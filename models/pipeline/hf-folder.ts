/**
 * Writes a Hugging Face-style model folder that @huggingface/transformers (v4) loads offline:
 *
 *   <dir>/config.json               model_type "bert" -> BertModel / BertForSequenceClassification
 *   <dir>/tokenizer.json            WordPiece tokenizer (tokenizers JSON format)
 *   <dir>/tokenizer_config.json     tokenizer_class "BertTokenizer" (returns token_type_ids)
 *   <dir>/onnx/model_quantized.onnx the file transformers.js picks for dtype "q8"
 *                                   (file name "model" + suffix "_quantized" in subfolder "onnx")
 *
 * Usage: env.allowRemoteModels = false; env.localModelPath = dirname(dir);
 *        pipeline('feature-extraction', basename(dir), { dtype: 'q8' }).
 * config.json also sets transformers.js_config.dtype = "q8", so q8 is the default when no dtype is
 * passed (otherwise Node's CPU default would be fp32, i.e. onnx/model.onnx, which we do not write).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stableJson } from '../../shared/models/stable-json.ts';

export interface HfModelFiles {
  onnx: Uint8Array;
  /** Where the graph goes in the folder (default {@link ONNX_Q8_PATH}; `onnx/model.onnx` is the fp32 file). */
  onnxPath?: string;
  config: object;
  tokenizerJson: object;
  tokenizerConfig: object;
}

/** Where transformers.js looks for the q8 model inside the folder. */
export const ONNX_Q8_PATH = 'onnx/model_quantized.onnx';

export async function writeHfModelFolder(dir: string, files: HfModelFiles): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'config.json'), stableJson(files.config)),
    writeFile(join(dir, 'tokenizer.json'), stableJson(files.tokenizerJson)),
    writeFile(join(dir, 'tokenizer_config.json'), stableJson(files.tokenizerConfig)),
    writeFile(join(dir, files.onnxPath ?? ONNX_Q8_PATH), files.onnx),
  ]);
}

/** Fields shared by both configs. Layer counts are nominal: the graphs have no attention. */
function bertBase(hiddenSize: number, vocabSize: number, maxPositions: number) {
  return {
    model_type: 'bert',
    hidden_size: hiddenSize,
    vocab_size: vocabSize,
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: hiddenSize,
    hidden_act: 'gelu',
    pad_token_id: 0,
    layer_norm_eps: 1e-12,
    initializer_range: 0.02,
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'q8' },
  };
}

/**
 * config.json of the static embedder: AutoModel -> BertModel; feature-extraction reads
 * `last_hidden_state` (the graph also outputs `sentence_embedding`).
 */
export function embedderConfig(dim: number, vocabSize: number, maxPositions = 512) {
  return {
    ...bertBase(dim, vocabSize, maxPositions),
    architectures: ['BertModel'],
  };
}

/**
 * config.json of the intent classifier: AutoModelForSequenceClassification ->
 * BertForSequenceClassification, output `logits`; text-classification applies softmax
 * (problem_type single_label_classification) and maps ids through id2label.
 * hidden_size is nominal for this graph (defaults to the label count; callers may pass the word dim).
 */
export function classifierConfig(labels: string[], vocabSize: number, hiddenSize = labels.length, maxPositions = 512) {
  if (new Set(labels).size !== labels.length) throw new Error('classifierConfig: duplicate labels');
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  labels.forEach((l, i) => {
    id2label[String(i)] = l;
    label2id[l] = i;
  });
  return {
    ...bertBase(hiddenSize, vocabSize, maxPositions),
    architectures: ['BertForSequenceClassification'],
    num_labels: labels.length,
    problem_type: 'single_label_classification',
    id2label,
    label2id,
  };
}

/** A tokenizer_config.json for a BERT WordPiece tokenizer.json with the usual special tokens. */
export function bertTokenizerConfig(opts: { doLowerCase?: boolean; modelMaxLength?: number } = {}) {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: opts.doLowerCase ?? true,
    do_basic_tokenize: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    clean_up_tokenization_spaces: true,
    model_max_length: opts.modelMaxLength ?? 512,
    padding_side: 'right',
    truncation_side: 'right',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
}
