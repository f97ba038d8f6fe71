/**
 * What the CLI bundle gives oclif in place of `tinyglobby`: the same `glob`, with tinyglobby (and fdir and
 * picomatch under it) loaded when it is first called instead of on every start. oclif uses it only to find
 * commands by file pattern, and arcmesh lists its commands explicitly. esbuild turns the `require` into a call
 * that initialises the bundled module at that point.
 */
'use strict';

exports.glob = (...args) => require('tinyglobby').glob(...args);
