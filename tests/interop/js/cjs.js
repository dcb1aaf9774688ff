// A tiny CommonJS loader (synchronous requests to the test's own server) for JsSIP, which npm ships as CommonJS.
window.cjsRequire = (function () {
  const cache = {};
  const bare = {
    debug: 'node_modules/debug/src/browser.js',
    events: 'node_modules/events/events.js',
    'sdp-transform': 'node_modules/sdp-transform/lib/index.js',
    ms: 'node_modules/ms/index.js',
  };
  function fetchText(path) {
    const x = new XMLHttpRequest();
    x.open('GET', '/' + path, false);
    x.send();
    return x.status === 200 ? x.responseText : null;
  }
  function norm(path) {
    const out = [];
    for (const seg of path.split('/')) {
      if (seg === '..') out.pop(); else if (seg !== '.' && seg !== '') out.push(seg);
    }
    return out.join('/');
  }
  function load(path) {
    if (cache[path]) return cache[path].exports;
    let src = null, file = null;
    for (const c of [path, path + '.js', path + '/index.js']) {
      if (cache[c]) return cache[c].exports;
      src = fetchText(c);
      if (src !== null) { file = c; break; }
    }
    if (src === null) throw new Error('cannot load ' + path);
    const module = { exports: {} };
    cache[file] = module;
    if (file.endsWith('.json')) { module.exports = JSON.parse(src); return module.exports; }
    const dir = file.slice(0, file.lastIndexOf('/') + 1);
    const req = (spec) => load(bare[spec] || norm(spec.startsWith('.') ? dir + spec : 'node_modules/' + spec));
    new Function('require', 'module', 'exports', 'process', src + '\n//# sourceURL=/' + file)(req, module, module.exports, { env: {} });
    return module.exports;
  }
  return load;
})();
