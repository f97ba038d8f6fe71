/**
 * What the CLI bundle gives oclif in place of `minimatch`: the same `minimatch`, loaded when it is first called
 * instead of on every start. oclif uses it only to match plugin names in package.json, which arcmesh has none
 * of. esbuild turns the `require` into a call that initialises the bundled module at that point.
 */
'use strict';

exports.minimatch = (...args) => require('minimatch').minimatch(...args);
