import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the graphs target (Gemm, ReduceSum with an `axes` input, Loop with optional inputs). */
export const OPSET = 17;
/** IR version 8 is the one that introduced opset 17. */
export const IR_VERSION = 8;

/** Element types the graphs use. */
export type ElemType = 'float32' | 'int32' | 'int64' | 'bool';

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A dimension: a fixed size, or a name for a size known only at run time (the batch). */
export type Dim = number | string;

/** A named value of the graph with its element type and shape. */
export interface Value {
  readonly name: string;
  readonly type: ElemType;
  /** Omitted where the shape is not stated (inferred by the runtime). */
  readonly dims?: readonly Dim[];
}

/** Attribute values a node may carry. */
export type AttrValue =
  | number
  | number[]
  | string
  | { readonly graph: GraphBuilder }
  | { readonly int: number };

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ELEM[v.type] };
  if (v.dims)
    tensorType.shape = {
      dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  return { name: v.name, type: { tensorType } };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value };
  if ('graph' in value) return { name, type: A.GRAPH, g: value.graph.toGraph() };
  return { name, type: A.INT, i: value.int };
}

/**
 * A small typed builder for one ONNX graph: declare inputs, constants and nodes, name the
 * outputs, then encode a model. Node names are given by the caller so that they can carry
 * the clause id a node implements (`bp2/δ1`); the builder keeps them unique.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  /** Values renamed to graph outputs: old name → output name. */
  private readonly renamed = new Map<string, string>();

  /** @param name graph name; @param scope prefix for generated value names (keeps a subgraph's names apart from its parent's). */
  constructor(
    readonly name: string,
    private readonly scope = '',
  ) {}

  /** A fresh value name starting with `base`. */
  fresh(base: string): string {
    let name = `${this.scope}${base}`;
    for (let i = 1; this.used.has(name); i++) name = `${this.scope}${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declare a graph input. */
  input(name: string, type: ElemType, dims?: readonly Dim[]): string {
    if (this.used.has(name)) throw new Error(`graph ${this.name}: value '${name}' is declared twice`);
    this.used.add(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** A constant tensor stored in the graph (deduplicated by value). */
  constant(
    base: string,
    type: 'float32' | 'int64' | 'int32',
    dims: readonly number[],
    values: ArrayLike<number>,
  ): string {
    const key = `${type}|${dims.join('x')}|${Array.from(values).join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh(base);
    const t: onnxProto.onnx.ITensorProto = { name, dims: [...dims], dataType: ELEM[type] };
    if (type === 'float32') t.rawData = new Uint8Array(Float32Array.from(values).buffer);
    else if (type === 'int32') t.rawData = new Uint8Array(Int32Array.from(values).buffer);
    else t.rawData = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    this.inits.push(t);
    if (this.constants.size < 10_000 && values.length <= 64) this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.constant('c', 'float32', [], [value]);
  }

  /** An int64 vector constant (axes, shapes). */
  ints(values: number[]): string {
    return this.constant('i', 'int64', [values.length], values);
  }

  /**
   * Add a node. `name` is its node name (clause id first, e.g. `bp1/δ3`); the outputs get
   * fresh value names derived from `outNames` (or from `name`). Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    opts: { name: string; outputs?: readonly string[]; attrs?: Record<string, AttrValue>; nOut?: number },
  ): string[] {
    const bases =
      opts.outputs ??
      Array.from({ length: opts.nOut ?? 1 }, (_, i) => (i === 0 ? opts.name : `${opts.name}_${i}`));
    const output = bases.map((b) => this.fresh(b.replace(/[^\w.\-/]/g, '_')));
    let nodeName = opts.name;
    for (let i = 1; this.nodeNames.has(nodeName); i++) nodeName = `${opts.name}#${i}`;
    this.nodeNames.add(nodeName);
    const attribute_ = Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v));
    this.nodes.push({
      opType,
      input: inputs.map((i) => this.resolve(i)),
      output,
      name: nodeName,
      attribute: attribute_,
    });
    return output;
  }
  /** Shorthand for a single-output node. */
  op(opType: string, inputs: readonly string[], name: string, attrs?: Record<string, AttrValue>): string {
    return this.node(opType, inputs, { name, attrs })[0]!;
  }

  /**
   * Declare `value` as the graph output `name`. A value a node of this graph computed is renamed:
   * its producer writes `name` directly, and the nodes that read it read `name`. No Identity
   * node: onnxruntime-web's WebGPU backend has no Identity kernel and would leave it to the CPU,
   * which GPU sessions forbid. A graph input, or a value already output under another name, is
   * copied by a Reshape to its own shape (a pure copy, which every provider here runs).
   */
  output(name: string, value: string, type: ElemType = 'float32', dims?: readonly Dim[]): string {
    const v = this.resolve(value);
    if (name !== v) {
      if (this.used.has(name)) throw new Error(`graph ${this.name}: output name '${name}' is already used`);
      this.used.add(name);
      const producer = this.nodes.find((n) => n.output?.includes(v));
      if (producer && !this.outputs.some((o) => o.name === v)) {
        producer.output = producer.output!.map((o) => (o === v ? name : o));
        for (const n of this.nodes) n.input = n.input!.map((i) => (i === v ? name : i));
        this.renamed.set(v, name);
      } else {
        if (!dims)
          throw new Error(`graph ${this.name}: output '${name}' copies '${v}' and needs its dims (its rank)`);
        // Shape entries 0 keep the input's dimension (Reshape's allowzero = 0), so the batch may vary.
        const shape = this.ints(dims.map(() => 0));
        this.nodes.push({ opType: 'Reshape', input: [v, shape], output: [name], name: `out/${name}` });
      }
    }
    this.outputs.push({ name, type, dims });
    return name;
  }

  /** The current name of `value` (a value renamed to a graph output goes by that output's name). */
  private resolve(value: string): string {
    return this.renamed.get(value) ?? value;
  }

  /** Names of the declared inputs and outputs, in order. */
  get inputNames(): string[] {
    return this.inputs.map((v) => v.name);
  }
  get outputNames(): string[] {
    return this.outputs.map((v) => v.name);
  }
  /** The node names, in order (tests check that clause ids are present). */
  get nodeList(): readonly { readonly name: string; readonly opType: string }[] {
    return this.nodes.map((n) => ({ name: n.name ?? '', opType: n.opType ?? '' }));
  }

  /** The GraphProto (used for subgraphs). */
  toGraph(): onnxProto.onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    };
  }

  /** The serialised model, ready for `InferenceSession.create` or a `.onnx` file. */
  encode(docString = ''): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: '@backprop/gpu',
      producerVersion: '0.1.0',
      docString,
      graph: this.toGraph(),
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Decode a model (tests and tools inspect what was written). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
