export * from './src/fields.js';
export * from './src/ini.js';
export * from './src/layered.js';
