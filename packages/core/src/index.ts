export * from './spec.js';
export * from './backend.js';
