// S3 ListParts (GET /<bucket>/<key>?uploadId=…) for fauxqs 1.9.2, which has CreateMultipartUpload,
// UploadPart and CompleteMultipartUpload but no ListParts: GET with an uploadId reaches its
// GetObject and answers NoSuchKey. KAIRR's data hub asks S3 which parts of an interrupted upload it
// holds (lambdas/datahub/uploads.ts resumeUpload), so the emulator answers it here, from fauxqs's
// own store of open multipart uploads, as S3 does: each part's number, ETag, size, time and SHA-256
// (S3 keeps the checksum of uploads made with ChecksumAlgorithm SHA256, as KAIRR's are; fauxqs
// ignores checksum headers, so the digest is computed from the bytes it holds). Pages of
// max-parts (default 1,000) from part-number-marker. Path-style requests only (KAIRR's are).
//
// How: the S3Store class is imported by file URL (the package exports only its entry), which is the
// same module instance fauxqs uses, to find the store; and node:http's createServer is wrapped
// before fauxqs builds its server, so a ListParts request is answered before fastify routes it.
// Call installListParts() before startFauxqs().
import { createHash } from 'node:crypto';
import http from 'node:http';

const xml = (s) => String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

function error(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`);
}

export async function installListParts() {
  const { S3Store } = await import(new URL('./s3/s3Store.js', import.meta.resolve('fauxqs')).href);
  let store;
  // fauxqs makes one store; it is found on its first multipart upload (none before: nothing to list).
  const create = S3Store.prototype.createMultipartUpload;
  S3Store.prototype.createMultipartUpload = function (...args) {
    store = this;
    return create.apply(this, args);
  };

  /** Answers a ListParts request and returns true; anything else returns false. */
  function listParts(req, res) {
    if (req.method !== 'GET' || !req.url?.includes('uploadId=')) return false;
    const url = new URL(req.url, 'http://fauxqs');
    const uploadId = url.searchParams.get('uploadId');
    if (!uploadId || url.searchParams.has('partNumber')) return false;
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const upload = store?.multipartUploads?.get(uploadId);
    if (!upload || upload.bucket !== decodeURIComponent(bucket) || upload.key !== key) {
      error(res, 404, 'NoSuchUpload', 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
      return true;
    }
    const marker = Number(url.searchParams.get('part-number-marker') ?? 0) || 0;
    const max = Math.min(Math.max(Number(url.searchParams.get('max-parts') ?? 1000) || 1000, 1), 1000);
    const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
    const page = all.slice(0, max);
    const truncated = all.length > page.length;
    const parts = page
      .map(
        (p) =>
          `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified.toISOString()}</LastModified><ETag>${xml(p.etag)}</ETag><Size>${p.body.length}</Size><ChecksumSHA256>${createHash('sha256').update(p.body).digest('base64')}</ChecksumSHA256></Part>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xml(upload.bucket)}</Bucket><Key>${xml(upload.key)}</Key><UploadId>${xml(uploadId)}</UploadId>` +
        `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1)?.partNumber ?? marker}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>` +
        `<ChecksumAlgorithm>SHA256</ChecksumAlgorithm>${parts}</ListPartsResult>`,
    );
    return true;
  }

  const createServer = http.createServer;
  http.createServer = function (options, handler) {
    if (typeof options === 'function') [options, handler] = [{}, options];
    return createServer.call(this, options ?? {}, (req, res) => {
      if (!listParts(req, res)) handler(req, res);
    });
  };
}
