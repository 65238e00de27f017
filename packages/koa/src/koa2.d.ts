// `koa2` is a dev-only alias of koa@2 (`npm:koa@^2`), so the tests run on Koa 2 and Koa 3.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
