/** Activation σ of every layer (the output layer too, unless the cost is cross-entropy). */
export type Activation = 'sigmoid' | 'relu' | 'identity';
/**
 * Cost of one example; the cost of a set is the mean over its examples.
 * - `quadratic`: C_x = ½ Σ_j (a^L_j − y_j)² (Nielsen), ∇_a C = a − y
 * - `squared-error`: C_x = Σ_j (a^L_j − y_j)² (the video), ∇_a C = 2(a − y)
 * - `cross-entropy`: softmax output layer, C_x = −Σ_j y_j ln a^L_j (extension), δ^L = a − y
 */
export type Cost = 'quadratic' | 'squared-error' | 'cross-entropy';
/** Initial weights: N(0,1) as in network.py, or N(0, 1/n_in). Biases are N(0,1) in both. */
export type Init = 'normal' | 'scaled-normal';

/** The shape and maths of a fully-connected network. */
export interface NetworkSpec {
  /** Neurons per layer, input first: [784, 16, 16, 10] is the document's digit recogniser. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly cost: Cost;
}

/**
 * Weights and biases. `weights[l-1]` is W^l, shape n_l × n_{l-1}, row-major, so that
 * `weights[l-1][j * n_{l-1} + k]` is w^l_jk (neuron k of layer l−1 to neuron j of layer l).
 * `biases[l-1]` is b^l, length n_l.
 */
export interface Params {
  readonly weights: Float64Array[];
  readonly biases: Float64Array[];
}

/** ∂C/∂W^l and ∂C/∂b^l, in the same layout as {@link Params}. */
export type Gradients = Params;

/** The document's layer sizes: 784 input pixels, two hidden layers of 16, 10 digits. */
export const DOCUMENT_SIZES: readonly number[] = Object.freeze([784, 16, 16, 10]);

/** The document's network: 784-16-16-10, sigmoid, quadratic cost. */
export const DOCUMENT_SPEC: NetworkSpec = Object.freeze({
  sizes: DOCUMENT_SIZES,
  activation: 'sigmoid',
  cost: 'quadratic',
});
