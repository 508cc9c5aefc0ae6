// Uploads streamed through the size and type guard into encrypted files; downloads decrypted as
// streams; a 50 MB body refused without being held; nothing about a document in the logs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@cutover/service-kit/testing';
import { complianceEnv, TEST_DOCUMENT_KEY_HEX, tokenFor } from './support/compliance-env.ts';
import { api, PDF_BYTES, venueBody } from './support/http-json.ts';
import { type RunningCompliance, startCompliance } from './support/in-process.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

const FIFTY_MB = 50 * 1024 * 1024;

/** PUTs `total` bytes in 64 KiB writes (a PDF header first), stopping as soon as the server answers. */
function streamUpload(
  url: string,
  token: string,
  total: number,
  declareLength: boolean,
): Promise<{ status: number; sentBytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let sentBytes = 0;
    let answered = false;
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/pdf',
          ...(declareLength ? { 'content-length': String(total) } : {}),
        },
      },
      (response) => {
        answered = true;
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, sentBytes, body }));
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    Buffer.from('%PDF-1.7\n').copy(chunk);
    const pump = () => {
      while (!answered && sentBytes < total) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('documents (encrypted at rest, streamed)', () => {
  let db: TestDatabase;
  let svc: RunningCompliance;
  let owner: string;
  let reviewer: string;
  let venueId: string;

  before(async () => {
    db = await createMigratedDatabase('documents');
    svc = await startCompliance(complianceEnv(db.url, { DOCUMENT_MAX_BYTES: String(1024 * 1024), LOG_LEVEL: 'debug' }));
    owner = await tokenFor('doc-owner', ['venue']);
    reviewer = await tokenFor('doc-reviewer', ['reviewer']);
    venueId = (await api(`${svc.url}/venues`, { token: owner, body: venueBody() })).body.venue.id;
  });
  after(async () => {
    await svc?.stop();
    await db?.drop();
  });

  const storedFiles = () => readdirSync(svc.env.DOCUMENT_STORAGE_DIR);

  test('upload, then download: the same bytes and hash; the file on disk holds no plaintext', async () => {
    const response = await fetch(`${svc.url}/venues/${venueId}/documents/w9`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/pdf' },
      body: PDF_BYTES,
    });
    assert.equal(response.status, 201);
    const { document } = (await response.json()) as { document: { id: string; sha256: string; sizeBytes: number; keyId: string } };
    const sha256 = createHash('sha256').update(PDF_BYTES).digest('hex');
    assert.equal(document.sha256, sha256);
    assert.equal(document.sizeBytes, PDF_BYTES.length);
    assert.equal(document.keyId, 'k1');

    const files = storedFiles();
    assert.deepEqual(files, [`${document.id}.cvd`]);
    const onDisk = readFileSync(join(svc.env.DOCUMENT_STORAGE_DIR, files[0]));
    assert.equal(onDisk.includes(Buffer.from('SECRET-W9-CONTENT')), false);

    const download = await fetch(`${svc.url}/documents/${document.id}/content`, { headers: { authorization: `Bearer ${reviewer}` } });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/pdf');
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha256);
    const stranger = await tokenFor('someone-else', ['venue']);
    assert.equal(
      (await fetch(`${svc.url}/documents/${document.id}/content`, { headers: { authorization: `Bearer ${stranger}` } })).status,
      404,
    );
  });

  test('a declared 50 MB body is refused at once, before it is read', async () => {
    const startedAt = Date.now();
    const result = await streamUpload(`${svc.url}/venues/${venueId}/documents/business_license`, owner, FIFTY_MB, true);
    assert.equal(result.status, 413);
    assert.match(result.body, /larger than 1048576 bytes/);
    assert.ok(result.sentBytes < FIFTY_MB / 4, `the client had sent ${result.sentBytes} bytes before the answer`);
    assert.ok(Date.now() - startedAt < 10_000);
  });

  test('an undeclared (chunked) 50 MB body is cut off once it passes the limit, and nothing is stored', async () => {
    const before = storedFiles();
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await streamUpload(`${svc.url}/venues/${venueId}/documents/business_license`, owner, FIFTY_MB, false);
    assert.equal(result.status, 413);
    assert.ok(result.sentBytes < FIFTY_MB / 4, `the client had sent ${result.sentBytes} bytes before the answer`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 30 * 1024 * 1024, 'the body was not held in memory');
    await waitFor('no partial file', () => (storedFiles().length === before.length ? true : undefined));
    assert.deepEqual(storedFiles(), before);
    const documents = await api(`${svc.url}/venues/${venueId}/documents`, { token: owner });
    assert.deepEqual(
      documents.body.documents.map((d: { kind: string }) => d.kind),
      ['w9'],
    );
  });

  test('neither the content nor the key ever reaches a log line', () => {
    const logs = svc.logs.lines.join('\n');
    assert.ok(svc.logs.lines.length > 5, 'debug logging was on');
    assert.equal(logs.includes('SECRET-W9-CONTENT'), false);
    assert.equal(logs.includes(TEST_DOCUMENT_KEY_HEX), false);
    assert.equal(logs.includes(Buffer.from(TEST_DOCUMENT_KEY_HEX, 'hex').toString('base64')), false);
  });
});
