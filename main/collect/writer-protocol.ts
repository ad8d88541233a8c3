// Collection and case writer thread: the messages between them. Pages and checkpoints only; never a token.
import type { CollectionWrite } from './writes';

export type WriterRequest = { id: number; write: CollectionWrite; close?: undefined } | { id: number; close: true; write?: undefined };

/** `ms`: how long the write took on the writer thread (for the benchmark's account of where a collection's time goes). */
export type WriterReply = { id: number; ok: true; ms: number } | { id: number; ok: false; name: string; message: string; ms: number };
