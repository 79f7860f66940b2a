#!/usr/bin/env node
// Runs s3rver as its command line does (the path of its bin/s3rver.js first, then its own
// arguments), giving it the read-after-write consistency of S3.  s3rver 3.7.1 answers a PUT
// of an object or of a part once the bytes have gone into its file stream, before the file
// is written: a GET or a LIST right after it may find the object short or empty, and a
// completed multipart upload may be put together from parts still being written.  Here the
// answer waits until the file is written (or fails with a 500 when writing it failed, which
// the client retries, instead of the unhandled error that ends s3rver).
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

require(bin);
