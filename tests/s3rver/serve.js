#!/usr/bin/env node
// Runs s3rver as its command line does (the path of its bin/s3rver.js first, then its own
// arguments), giving it the read-after-write consistency of S3.  s3rver 3.7.1 answers a PUT
// of an object or of a part once the bytes have gone into its file stream, before the file
// is written: a GET or a LIST right after it may find the object short or empty, and a
// completed multipart upload may be put together from parts still being written.  Here the
// answer waits until the file is written (or fails with a 500 when writing it failed, which
// the client retries, instead of the unhandled error that ends s3rver).
//
// It also gives s3rver what it answers NotImplemented and clients of the tests and benchmarks
// use (path-style requests only): UploadPartCopy (a part of a multipart upload copied from a
// range of a stored object, a PUT ?partNumber&uploadId with x-amz-copy-source), with which
// Haven places blobs larger than one CopyObject takes; and ListMultipartUploads (GET
// /bucket?uploads&prefix=) and ListParts (GET /bucket/key?uploadId=), with which
// docker-registry's S3 driver resumes an upload at every request that writes to it.  Both
// lists are read from s3rver's own folder of multipart uploads (<upload id>/key, and a file
// per part with its MD5 beside it), in one page.
'use strict';

const path = require('path');

const bin = path.resolve(process.argv[2]);
process.argv.splice(2, 1);
const lib = path.join(path.dirname(bin), '..', 'lib');
const fs = require(require.resolve('fs-extra', { paths: [lib] }));
const Store = require(path.join(lib, 'stores', 'filesystem.js'));

// file -> the promise that its latest write stream is closed
const writing = new Map();
const createWriteStream = fs.createWriteStream;

fs.createWriteStream = function (file, ...rest) {
  const stream = createWriteStream.call(this, file, ...rest);
  const name = String(file);
  const done = new Promise((resolve, reject) => {
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // forgotten once written; a failure stays until the PUT it belongs to reports it
  done.then(() => {
    if (writing.get(name) === done) writing.delete(name);
  }, () => {});
  writing.set(name, done);
  return stream;
};

async function written(file) {
  const done = writing.get(file);
  if (done) await done;
}

const putObject = Store.prototype.putObject;
Store.prototype.putObject = async function (object) {
  const result = await putObject.call(this, object);
  await written(this.getResourcePath(object.bucket, object.key, 'object'));
  return result;
};

const putPart = Store.prototype.putPart;
Store.prototype.putPart = async function (bucket, uploadId, partNumber, content) {
  const result = await putPart.call(this, bucket, uploadId, partNumber, content);
  const uploads = this.getResourcePath(bucket, undefined, 'uploads');
  await written(path.join(uploads, uploadId, String(partNumber)));
  return result;
};

// UploadPartCopy, answered before s3rver's router sees it (path-style requests only)
async function uploadPartCopy(ctx, next) {
  const source = ctx.headers['x-amz-copy-source'];
  if (ctx.method !== 'PUT' || !source || !ctx.query.uploadId || !ctx.query.partNumber) {
    return next();
  }
  const bucket = decodeURIComponent(ctx.path.split('/')[1]);
  const [srcBucket, ...srcKey] = decodeURI(source).replace(/^\//, '').split('/');
  const range = /^bytes=(\d+)-(\d+)$/.exec(ctx.headers['x-amz-copy-source-range'] || '');
  const object = await ctx.store.getObject(srcBucket, srcKey.join('/'),
    range ? { start: Number(range[1]), end: Number(range[2]) } : undefined);
  if (!object) {
    ctx.status = 404;
    ctx.body = { Error: { Code: 'NoSuchKey', Message: 'The specified key does not exist.' } };
    return undefined;
  }
  const { md5 } = await ctx.store.putPart(bucket, ctx.query.uploadId, ctx.query.partNumber,
    object.content);
  ctx.body = { CopyPartResult: { LastModified: new Date().toISOString(), ETag: `"${md5}"` } };
  return undefined;
}

// The multipart uploads of bucket in s3rver's folder: [{ id, dir, key, initiated }].
async function uploadsOf(store, bucket) {
  const root = store.getResourcePath(bucket, undefined, 'uploads');
  const ids = await fs.readdir(root).catch(() => []);
  const found = await Promise.all(ids.map(async (id) => {
    const dir = path.join(root, id);
    try {
      const [key, stat] = await Promise.all([fs.readFile(path.join(dir, 'key'), 'utf8'),
        fs.stat(dir)]);
      return { id, dir, key, initiated: stat.birthtime };
    } catch (err) {
      return null; // completed or aborted meanwhile
    }
  }));
  return found.filter(Boolean).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function listMultipartUploads(ctx, next) {
  const parts = ctx.path.split('/').filter(Boolean);
  if (ctx.method !== 'GET' || !('uploads' in ctx.query) || parts.length !== 1) return next();
  const bucket = decodeURIComponent(parts[0]);
  const prefix = ctx.query.prefix || '';
  const uploads = (await uploadsOf(ctx.store, bucket)).filter(u => u.key.startsWith(prefix));
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: bucket,
      KeyMarker: '',
      UploadIdMarker: '',
      Prefix: prefix,
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads.map(u => ({
        Key: u.key,
        UploadId: u.id,
        Initiated: u.initiated.toISOString(),
        StorageClass: 'STANDARD',
      })),
    },
  };
  return undefined;
}

async function listParts(ctx, next) {
  const parts = ctx.path.split('/').filter(Boolean);
  if (ctx.method !== 'GET' || !ctx.query.uploadId || parts.length < 2) return next();
  const bucket = decodeURIComponent(parts[0]);
  const key = parts.slice(1).map(decodeURIComponent).join('/');
  const upload = (await uploadsOf(ctx.store, bucket))
    .find(u => u.id === ctx.query.uploadId && u.key === key);
  if (!upload) {
    ctx.status = 404;
    ctx.body = { Error: { Code: 'NoSuchUpload', Message: 'The specified upload does not exist.' } };
    return undefined;
  }
  const numbers = (await fs.readdir(upload.dir)).filter(n => /^\d+$/.test(n)).map(Number)
    .sort((a, b) => a - b);
  const listed = await Promise.all(numbers.map(async (n) => {
    const file = path.join(upload.dir, String(n));
    const [stat, md5] = await Promise.all([fs.stat(file), fs.readFile(`${file}.md5`, 'utf8')]);
    return { PartNumber: n, LastModified: stat.mtime.toISOString(), ETag: `"${md5}"`,
      Size: stat.size };
  }));
  ctx.body = {
    ListPartsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: bucket,
      Key: key,
      UploadId: upload.id,
      PartNumberMarker: 0,
      NextPartNumberMarker: numbers.length ? numbers[numbers.length - 1] : 0,
      MaxParts: 1000,
      IsTruncated: false,
      Part: listed,
    },
  };
  return undefined;
}

const Koa = require(require.resolve('koa', { paths: [lib] }));
const use = Koa.prototype.use;
Koa.prototype.use = function (middleware) {
  if (middleware && middleware.router) { // right before routing
    use.call(this, uploadPartCopy);
    use.call(this, listMultipartUploads);
    use.call(this, listParts);
  }
  return use.call(this, middleware);
};

require(bin);
