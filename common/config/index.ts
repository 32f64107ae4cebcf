export * from './src/ini.js';
export * from './src/layered.js';
export * from './src/fields.js';
