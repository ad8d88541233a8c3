// Collection and case writer thread: the messages between them. Pages and checkpoints only; never a token.
import type { CollectionWrite } from './writes';

export type WriterRequest = { id: number; write: CollectionWrite; close?: undefined } | { id: number; close: true; write?: undefined };

export type WriterReply = { id: number; ok: true } | { id: number; ok: false; name: string; message: string };
