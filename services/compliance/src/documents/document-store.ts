import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { createDecryptStream, createEncryptStream } from './document-cipher.ts';
import type { DocumentKind } from './document-types.ts';
import { UploadGuard } from './upload-guard.ts';

export interface StoredDocument {
  id: string;
  venueId: string;
  kind: DocumentKind;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  keyId: string;
  uploadedBy: string;
  uploadedAt: string;
}

export interface DocumentStoreOptions {
  pool: pg.Pool;
  directory: string;
  key: Buffer;
  keyId: string;
  /** Older keys still able to open documents (rotation), by id. */
  previousKeys?: ReadonlyMap<string, Buffer>;
  maxBytes: number;
}

// biome-ignore lint/suspicious/noExplicitAny: a pg row
function toDocument(row: any): StoredDocument {
  return {
    id: row.id,
    venueId: row.venue_id,
    kind: row.kind,
    contentType: row.content_type,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    keyId: row.key_id,
    uploadedBy: row.uploaded_by,
    uploadedAt: row.uploaded_at.toISOString(),
  };
}

const COLUMNS = 'id, venue_id, kind, content_type, size_bytes, sha256, key_id, storage_name, uploaded_by, uploaded_at';

/**
 * Documents encrypted on disk (files readable by the service user only) and described in
 * PostgreSQL. An upload streams through the guard (size, type, hash) and the cipher into a
 * temporary file that is renamed only when complete; a refused upload leaves nothing behind.
 */
export function createDocumentStore(options: DocumentStoreOptions) {
  const keys = new Map(options.previousKeys ?? []);
  keys.set(options.keyId, options.key);
  let ready: Promise<unknown> | undefined;
  const ensureDirectory = () => (ready ??= mkdir(options.directory, { recursive: true, mode: 0o700 }));
  return {
    async save(input: {
      venueId: string;
      kind: DocumentKind;
      contentType: string;
      uploadedBy: string;
      body: Readable;
    }): Promise<StoredDocument> {
      await ensureDirectory();
      const id = randomUUID();
      const storageName = `${id}.cvd`;
      const temporary = join(options.directory, `.${storageName}.partial`);
      const guard = new UploadGuard(input.contentType, options.maxBytes);
      try {
        await pipeline(
          input.body,
          guard,
          createEncryptStream(options.key, options.keyId, id),
          createWriteStream(temporary, { mode: 0o600 }),
        );
        await rename(temporary, join(options.directory, storageName));
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      const { rows } = await options.pool.query(
        `INSERT INTO documents (id, venue_id, kind, content_type, size_bytes, sha256, key_id, storage_name, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
        [id, input.venueId, input.kind, input.contentType, guard.bytes, guard.sha256, options.keyId, storageName, input.uploadedBy],
      );
      return toDocument(rows[0]);
    },
    async get(id: string): Promise<(StoredDocument & { storageName: string }) | null> {
      const { rows } = await options.pool.query(`SELECT ${COLUMNS} FROM documents WHERE id = $1`, [id]);
      return rows[0] ? { ...toDocument(rows[0]), storageName: rows[0].storage_name } : null;
    },
    async forVenue(venueId: string): Promise<StoredDocument[]> {
      const { rows } = await options.pool.query(`SELECT ${COLUMNS} FROM documents WHERE venue_id = $1 ORDER BY uploaded_at`, [venueId]);
      return rows.map(toDocument);
    },
    /** The plaintext as a stream, each chunk authenticated before it is passed on. */
    open(document: { id: string; storageName: string }): Readable {
      const decrypt = createDecryptStream(keys, document.id);
      const file = createReadStream(join(options.directory, document.storageName));
      file.on('error', (error) => decrypt.destroy(error));
      return file.pipe(decrypt);
    },
  };
}

export type DocumentStore = ReturnType<typeof createDocumentStore>;
