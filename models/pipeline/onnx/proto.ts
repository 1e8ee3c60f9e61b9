/**
 * A thin typed helper around onnx-proto (protobufjs) for building small ONNX models by hand.
 *
 * Everything that ends up in the file is derived from the calls made on the builder, in call
 * order: no timestamps, no random names. Building the same graph from the same weights therefore
 * serializes to byte-identical output.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;
export const IR_VERSION = 8;
export const PRODUCER = 'switchyard';

/** The tensor element types this project uses (values are onnx.TensorProto.DataType). */
export const DType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
} as const;
export type DType = (typeof DType)[keyof typeof DType];

/** A dimension: a fixed size, or a symbolic name such as "batch" / "sequence". */
export type Dim = number | string;

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

const ATTR = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use {float: x} for float attributes`);
    return { name, type: ATTR.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: ATTR.INTS, ints: value };
  if ('float' in value) return { name, type: ATTR.FLOAT, f: value.float };
  return { name, type: ATTR.FLOATS, floats: value.floats };
}

function valueInfo(name: string, elemType: DType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function checkSize(name: string, dims: number[], length: number): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== length) throw new Error(`initializer ${name}: dims [${dims.join(', ')}] need ${n} values, got ${length}`);
}

/** Little-endian bytes of a typed array (copy, so the caller's buffer is never aliased). */
function leBytes(a: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  if (a instanceof Float32Array) a.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else a.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name ${name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh value name derived from a hint (deterministic: hint + running counter). */
  fresh(hint: string): string {
    let name = `${hint}_${this.counter++}`;
    while (this.names.has(name)) name = `${hint}_${this.counter++}`;
    return name;
  }

  input(name: string, elemType: DType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares a graph output; the value must be produced by a node (give the node this output name). */
  output(name: string, elemType: DType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  int8(name: string, dims: number[], data: Int8Array): string {
    checkSize(name, dims, data.length);
    const raw = new Uint8Array(data.length);
    raw.set(new Uint8Array(data.buffer, data.byteOffset, data.length));
    this.initializers.push({ name: this.claim(name), dims, dataType: DType.int8, rawData: raw });
    return name;
  }

  uint8(name: string, dims: number[], data: Uint8Array): string {
    checkSize(name, dims, data.length);
    this.initializers.push({ name: this.claim(name), dims, dataType: DType.uint8, rawData: Uint8Array.from(data) });
    return name;
  }

  int32(name: string, dims: number[], data: Int32Array | number[]): string {
    const a = data instanceof Int32Array ? data : Int32Array.from(data);
    checkSize(name, dims, a.length);
    const raw = new Uint8Array(a.length * 4);
    const view = new DataView(raw.buffer);
    a.forEach((v, i) => view.setInt32(i * 4, v, true));
    this.initializers.push({ name: this.claim(name), dims, dataType: DType.int32, rawData: raw });
    return name;
  }

  float(name: string, dims: number[], data: Float32Array | number[]): string {
    const a = data instanceof Float32Array ? data : Float32Array.from(data);
    checkSize(name, dims, a.length);
    this.initializers.push({ name: this.claim(name), dims, dataType: DType.float, rawData: leBytes(a) });
    return name;
  }

  int64(name: string, dims: number[], data: BigInt64Array | Array<number | bigint>): string {
    const a = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
    checkSize(name, dims, a.length);
    this.initializers.push({ name: this.claim(name), dims, dataType: DType.int64, rawData: leBytes(a) });
    return name;
  }

  /**
   * Adds a node. `outputs` may be a count (fresh names derived from the op type) or explicit names.
   * Returns the output names.
   */
  node(
    opType: string,
    inputs: string[],
    outputs: number | string[] = 1,
    attrs: Record<string, AttrValue> = {},
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.claim(this.fresh(opType.toLowerCase())))
        : outputs.map((o) => this.claim(o));
    const attribute_ = Object.keys(attrs).map((k) => attribute(k, attrs[k]));
    this.nodes.push({
      opType,
      input: inputs,
      output: outs,
      name: `${opType}_${this.nodes.length}`,
      ...(attribute_.length > 0 ? { attribute: attribute_ } : {}),
    });
    return outs;
  }

  /** Single-output shorthand for {@link node}. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    return this.node(opType, inputs, outputName === undefined ? 1 : [outputName], attrs)[0];
  }

  graph(): onnxProto.onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }
}

export interface ModelOptions {
  docString?: string;
  /** Stored as metadata_props, in the given key order. */
  metadata?: Record<string, string>;
}

/** Wraps a graph into a ModelProto (IR 8, default-domain opset 17, producer "switchyard"). */
export function buildModel(g: GraphBuilder, opts: ModelOptions = {}): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER,
    graph: g.graph(),
    ...(opts.docString ? { docString: opts.docString } : {}),
    ...(opts.metadata
      ? { metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })) }
      : {}),
  });
}

export function serializeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  const message = model instanceof onnx.ModelProto ? model : onnx.ModelProto.fromObject(model);
  return onnx.ModelProto.encode(message).finish();
}

/** Builds and serializes in one go. */
export function modelBytes(g: GraphBuilder, opts: ModelOptions = {}): Uint8Array {
  return serializeModel(buildModel(g, opts));
}

/** Parses serialized bytes back (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
