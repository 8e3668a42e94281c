export {
  type DatabaseHandle,
  embeddedStatus,
  openDatabase,
  removeEmbedded,
  startEmbedded,
  stopEmbedded,
} from './manager.js';
