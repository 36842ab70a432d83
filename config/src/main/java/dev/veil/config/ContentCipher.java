package dev.veil.config;

/** Content encryption algorithm named in an encrypt action. */
public enum ContentCipher { AES_256_GCM, AES_256_CBC }
