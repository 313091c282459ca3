// @parley/protocol: wire types, canonical bytes and the whole crypto suite, on WebCrypto alone.
export * from './wire.ts';
export * from './bytes.ts';
export * from './canonical.ts';
export * from './chain.ts';
export * from './fingerprint.ts';
export * from './membership.ts';
export * from './crypto/primitives.ts';
export * from './crypto/account.ts';
export * from './crypto/ratchet.ts';
export * from './crypto/message.ts';
export * from './crypto/vault.ts';
