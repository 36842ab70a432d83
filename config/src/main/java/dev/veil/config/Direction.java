package dev.veil.config;

public enum Direction { INBOUND, OUTBOUND }
