#!/usr/bin/env node
// Runs s3rver as its command line does (the path of its bin/s3rver.js first, then its own
// arguments), giving it the read-after-write consistency of S3.  s3rver 3.7.1 answers a PUT
// of an object or of a part once the bytes have gone into its file stream, before the file
// is written: a GET or a LIST right after it may find the object short or empty, and a
// completed multipart upload may be put together from parts still being written.  Here the
// answer waits until the file is written (or fails with a 500 when writing it failed, which
// the client retries, instead of the unhandled error that ends s3rver).
//
// It also gives s3rver S3's UploadPartCopy (a part of a multipart upload copied from a range
// of a stored object, a PUT ?partNumber&uploadId with x-amz-copy-source), which s3rver
// answers NotImplemented and Haven uses to place blobs larger than one CopyObject takes.
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

const Koa = require(require.resolve('koa', { paths: [lib] }));
const use = Koa.prototype.use;
Koa.prototype.use = function (middleware) {
  if (middleware && middleware.router) use.call(this, uploadPartCopy); // right before routing
  return use.call(this, middleware);
};

require(bin);
