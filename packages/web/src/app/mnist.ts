import { MNIST_FILES, type Mnist, parseMnist } from '@backprop/data';

/** Where the server (backprop serve, or Vite in development) serves the four MNIST files. */
export const MNIST_URL = '/mnist/';

let loading: Promise<Mnist> | undefined;

/**
 * MNIST, fetched from this page's server (never from elsewhere) and parsed with the checks of
 * `loadMnist` (@backprop/data's `parseMnist`). Once per worker.
 */
export function fetchMnist(): Promise<Mnist> {
  loading ??= (async () => {
    const entries = await Promise.all(
      (Object.keys(MNIST_FILES) as (keyof typeof MNIST_FILES)[]).map(async (key) => {
        const url = `${MNIST_URL}${MNIST_FILES[key]}`;
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).trim()}`);
        return [key, new Uint8Array(await res.arrayBuffer())] as const;
      }),
    );
    return parseMnist(Object.fromEntries(entries) as Record<keyof typeof MNIST_FILES, Uint8Array>, MNIST_URL);
  })();
  loading.catch(() => {
    loading = undefined; // a failed fetch is tried again next time
  });
  return loading;
}
