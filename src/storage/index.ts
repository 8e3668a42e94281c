export { createObjectStore } from './create-object-store.js';
export { LocalObjectStore } from './local-object-store.js';
export { type ObjectInfo, type ObjectStore, originalObjectKey } from './object-store.js';
