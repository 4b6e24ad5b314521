#!/usr/bin/env node
// Computes the expected values of Flarelet's JavaScript-semantics tests with JavaScript itself (Node 20, V8 11.3)
// and writes them as JSON vectors next to the tests that read them:
//
//     node scripts/generate-js-vectors.js
//
// The vectors are committed; the Swift tests never run Node. Every run produces the same files (inputs come from
// fixed lists and a seeded generator). Dates are computed in UTC, the time zone of workerd.
'use strict';
process.env.TZ = 'UTC';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const root = path.resolve(__dirname, '..');
function write(relative, value) {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value, null, 1) + '\n');
    console.log(`${relative}: ${Array.isArray(value) ? value.length + ' cases' : 'written'}`);
}

// A seeded PRNG (mulberry32) so the random cases are stable.
function random(seed) {
    return function () {
        seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rand = random(13);
const pick = (list) => list[Math.floor(rand() * list.length)];
const int = (n) => Math.floor(rand() * n);

/// A number as text that keeps NaN, the infinities and -0 apart.
function numberText(x) {
    if (Object.is(x, -0)) return '-0';
    return String(x);
}

const vectors = 'Tests/FlareletJavaScriptTests/Vectors';

// MARK: Date.parse

const dateInputs = [
    // From the issue and VoiceMode's clients.
    '2026-11-10t05:13:25z', 'Wed, 02 Dec 2026 16:30:25 GMT', '2026/12/02', '12/02/2026 16:30', 'Dec 02, 2026',
    '2026-12-02T16:30:25+0000', 'Wed Dec 02 2026 16:30:25 GMT+0000 (Coordinated Universal Time)', '0',
    '2026-12-02T16:30:25.123456Z', '2026-12-02T16:30:25.1Z', '2026-12-02T16:30:25Z', '2026-12-02T16:30Z',
    '2026-12-02', '2026-12', '2026', '+002026-12-02T00:00:00Z', '-000000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00.000Z', '-271821-04-19T23:59:59.999Z',
    '2026-02-30', '2026-02-31T10:00:00Z', '2026-13-01', '2026-00-10', '2026-12-32', '2026-12-02T24:00:00Z',
    '2026-12-02T24:00:01Z', '2026-12-02T23:60:00Z', '2026-12-02T23:59:60Z', '2026-12-02 16:30:25', '2026-12-02T16:30:25',
    '2026-12-02T16:30:25+05:30', '2026-12-02T16:30:25-0800', '2026-12-02T16:30:25+24:00', '2026-12-02T16:30:25+2400',
    '2026-12-02T16:30:25 Z', '2026-12-02T16:30:25z', ' 2026-12-02', '2026-12-02 ', '2026-12-02\u0000garbage',
    '20261202', '20261202T163025Z', '2026-1-2', '2026-01-2', '26-12-02', '99-12-02', '49/12/02', '12/02/49', '12/02/50',
    'Tue Mar 01 2022', 'March 7, 2026 10:00 PM', 'March 7, 2026 10:00 pm EST', 'Sat, 01 Jan 2000 00:00:00 PST',
    '1 January 2026', 'January 1', '2026 January 1', 'Jan 2026', 'Jan', 'Thursday', 'foo 2026', 'foo2026', '2026 foo',
    '(comment) 2026/01/02', '2026/01/02 (comment', '2026/01/02 (a (nested) comment)', '2026/01/02)', '2026/01/02 +',
    '2026/01/02 10:00 +0530', '2026/01/02 10:00 GMT-8', '2026/01/02 10:00 GMT+08:', '2026/01/02 10:00 UTC+1',
    '2026/01/02 10:00 UT', '2026/01/02 10:00 Z', '2026/01/02 10:00 z', '2026/01/02 10:00 CET', '2026/01/02 10:00 MSK',
    '2026/01/02 10:00:00.5', '2026/01/02 10:00:00.123456789', '2026/01/02 10::', '2026/01/02 10:00:', '10:00 2026/01/02',
    '2026/01/02 25:00', '2026/01/02 12:00 AM', '2026/01/02 12:00 PM', '2026/01/02 13:00 PM', '2026/01/02 0:00 am',
    '1/2/3', '1/2', '1', '31', '32', '2026', '99999', '1234567890', '12345678901234', '-1', '+1', '1e3', '0x10', '',
    ' ', 'Z', 'T', 'today', 'now', 'Invalid Date', 'NaN', 'null', 'undefined', '2026-12-02T16:30:25.000Z junk',
    '2026-12-02Tjunk', '2026-12-02T', '2026-12-02T16', '2026-12-02T16:3', '2026-12-02T16:30:2', '2026-12-02T16:30:25.',
    '2026-12-02T16:30:25.Z', '2026-12-02T16:30:25+05', '2026-12-02T16:30:25+5:30', 'Mon, 32 Dec 2026', '02.12.2026',
    '2026.12.02', '2026,12,02', '2026-12-02,10:00', '12-02-2026', 'Dec-02-2026', '02-Dec-2026', '2026-Dec-02',
    'DECEMBER 2, 2026', 'december 2 2026', 'Decembre 2 2026', 'Dezember 2 2026', 'Déc 2 2026', 'ﬁ 2026',
    '2026/12/02\u00a010:00', '2026/12/02\u200310:00', '2026/12/02\t10:00', '2026/12/02\n10:00', '\ufeff2026-12-02',
    '２０２６-12-02', '2026-12-02T16:30:25.999999999999Z', '2026-12-02T16:30:25.0000001Z', '0000-01-01', '0000',
    '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '2026/12/02 10:00 -', '-2026',
    '+2026', '2026/12/02 10:00 +123', '2026/12/02 10:00 +12345', '2026/12/02 10:00 +1:', '2026/12/02 10:00 GMT+99999:',
    '2026/12/02 10.00', '2026/12/02 10.00.00', '10.30.2026', 'Dec 25 1995 13:30:00 GMT+0430', '25 Dec 1995 13:30 UTC',
    'Mon Dec 25 1995', '12/25/1995 1:30 PM', '1995-12-25T13:30:00.000+04:30', '1995-12-25T13:30:00.000+0430',
];
const dateWords = ['Jan', 'feb', 'MARCH', 'Sept', 'dec', 'Mon', 'Tue', 'GMT', 'UTC', 'UT', 'Z', 'z', 'T', 'EST', 'PDT',
    'AM', 'pm', 'foo', 'x', 'CET'];
const dateSeparators = [' ', '-', '/', ':', '.', ',', '+', 'T', '(x)', ')', '  ', ''];
function randomDateInput() {
    const parts = [];
    const count = 1 + int(7);
    for (let i = 0; i < count; i++) {
        const kind = int(10);
        if (kind < 5) {
            const length = pick([1, 2, 2, 2, 3, 4, 4, 6, 9]);
            let digits = '';
            for (let j = 0; j < length; j++) digits += String(int(10));
            parts.push(digits);
        } else if (kind < 8) {
            parts.push(pick(dateWords));
        } else {
            parts.push(pick(['+', '-']) + String(int(2400)).padStart(pick([1, 2, 4]), '0'));
        }
        if (i < count - 1) parts.push(pick(dateSeparators));
    }
    return parts.join('');
}
function randomISOInput() {
    const pad = (n, w) => String(n).padStart(w, '0');
    let text = pick(['', '', '', '+00', '-00']) + pad(int(10000), 4);
    if (rand() < 0.9) text += '-' + pad(int(14), 2);
    if (rand() < 0.85) text += '-' + pad(int(33), 2);
    if (rand() < 0.7) {
        text += pick(['T', 't', ' ']) + pad(int(26), 2) + ':' + pad(int(61), 2);
        if (rand() < 0.7) text += ':' + pad(int(61), 2);
        if (rand() < 0.5) text += '.' + String(int(100000000)).slice(0, 1 + int(8));
        text += pick(['', 'Z', 'z', '+01:00', '-0530', '+24:00', '+05', ' GMT', '+00:60']);
    }
    return text;
}
const dateCases = [];
const seenDates = new Set();
for (const input of dateInputs.concat(Array.from({ length: 1500 }, randomDateInput), Array.from({ length: 1500 }, randomISOInput))) {
    if (seenDates.has(input)) continue;
    seenDates.add(input);
    const value = Date.parse(input);
    dateCases.push({ input, expected: Number.isNaN(value) ? null : value });
}
write(`${vectors}/date-parse.json`, dateCases);

// MARK: toISOString

const isoTimes = [0, -1, 1, 86399999, 86400000, -86400000, 1764692425123, 253402300799999, 253402300800000, -62167219200000,
    -62167219200001, 8.64e15, -8.64e15, 1e15, -1e15, 951782400000, 4107542400000];
write(`${vectors}/to-iso-string.json`, isoTimes.map((t) => ({ time: t, expected: new Date(t).toISOString() })));

// MARK: String(), Number(), parseInt

const values = [
    'null', 'true', 'false', '0', '-0', '1', '-1', '1.5', '1e21', '1e-7', '123456789012345680000', '1e400', '-1e400',
    '0.1', '100', '""', '"abc"', '"\\ud800"', '[]', '[null]', '[null,null]', '[1,null,2]', '[[1,2],[3,[4,[null]]]]',
    '[true,false]', '["a","b"]', '[{}]', '{}', '{"a":1}', '{"toString":1}', '[{"toString":1}]', '{"valueOf":1}',
    '[1e400]', '[-0]', '[[[]]]', '[""]', '["",""]', '["\\ud83d","\\ude00"]', '[" 12 "]', '["0x1f"]', '[5]', '[[5]]',
    '"  42  "', '"\\u00a042\\ufeff"', '"\\u0085 42"', '"\\u180e42"', '"1_000"', '"0x1F"', '"0X1f"', '"0o17"', '"0b101"',
    '"0x"', '"-0x10"', '"+0x10"', '"Infinity"', '"-Infinity"', '"+Infinity"', '"infinity"', '"1e3"', '"1E+3"', '".5"',
    '"5."', '"."', '"+"', '"-"', '"+.5e-3"', '"1e"', '"e5"', '"12abc"', '"0x123456789abcdef0123"', '"0b' + '1'.repeat(60) + '"',
    '"0x20000000000001"', '"0x20000000000003"', '"0x20000000000002"', '"0o777777777777777777777"', '"١٢"', '"12\\n"',
    '"9007199254740993"', '"1' + '0'.repeat(400) + '"',
];
write(`${vectors}/to-string.json`, values.map((text) => {
    try {
        return { value: text, expected: String(JSON.parse(text)) };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));
write(`${vectors}/to-number.json`, values.map((text) => {
    try {
        return { value: text, expected: numberText(Number(JSON.parse(text))) };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));

const parseIntInputs = [
    '', ' ', '0', '-0', '+0', '42', '  42', '\u00a042', '\ufeff42', '\u008542', '\u180e42', '\u200b42', '\u3000 42', '42abc',
    '4 2', '-42', '+42', '--42', '+-42', '0x1f', '0X1F', '-0x1f', '0x', '0xg', '0b101', '0o17', '017', '08', '1e3', '1.9',
    '.5', '12345678901234567890', '123456789012345678901234567890', '9007199254740993', '9007199254740995',
    '1' + '0'.repeat(310), 'ff', 'FF', 'zz', 'Infinity', 'NaN', '١٢', '１２', '12\u0000', 'ab', '-ff', '0x' + 'f'.repeat(20),
    '0x1fffffffffffff', '0x20000000000001', '0x20000000000003', '0x3fffffffffffff8', 'zzzzzzzzzzzzzzzz',
    '0x0x10', '  -0x10', '7fffffffffffffff', '123,45', 'ab,cd', '-1', '1z', 'z1', 'ffx', ',ab',
];
const radices = [undefined, 0, 2, 8, 10, 16, 36, 1, 37, 3, 7, 32, -16, 16.9, 4294967312];
const parseIntCases = [];
for (const input of parseIntInputs) {
    for (const radix of radices) {
        const value = parseInt(input, radix);
        parseIntCases.push({ input, radix: radix === undefined ? null : radix, expected: numberText(value) });
    }
}
write(`${vectors}/parse-int.json`, parseIntCases);

// MARK: + and counters (o[k] = (o[k] || 0) + 1)

const counterKeys = [
    ['a', 'b', 'a'], ['toString'], ['toString', 'toString'], ['constructor', 'valueOf', 'hasOwnProperty'],
    ['__proto__'], ['__proto__', '__proto__', 'x'], ['isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'],
    ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'], ['2', '1', 'b', '10', 'a', '1'],
    ['4294967294', '4294967295', '01', '0'], ['\u00e9', 'e\u0301', '\u00e9'], ['\ud800', '\ud800', '\udc00'],
    ['prototype', 'hasownproperty', 'ToString'], ['', ''], ['undefined', 'null'],
];
write(`${vectors}/counters.json`, counterKeys.map((keys) => {
    const counter = {};
    for (const key of keys) counter[key] = (counter[key] || 0) + 1;
    return { keys, entries: Object.entries(counter) };
}));

// MARK: URL

const urlInputs = [
    'http://127.0.0.1:8787/v1/events', 'http://127.0.0.1:8787/v1/x/../events', 'http://127.0.0.1:8787/v1/./events',
    'http://h/v1/%2e%2E/events', 'http://h/v1/%2e/events', 'http://h/v1/.%2e/x', 'http://h/v1/%2e./x', 'http://h/a/b/..',
    'http://h/a/b/.', 'http://h/a/b/../', 'http://h/..', 'http://h/../../x', 'http://h/a\\b\\..\\c', 'http://h/a//b',
    'http://h', 'http://h?x=1', 'http://h#f', 'http://h/p?q=1#f', 'http://h/a b', 'http://h/ü', 'http://h/%zz',
    'http://h/a%2fb', 'http://h/{}|`^', 'http://h/"<>', "http://h/?a='b'&c=\"d\"", 'http://h/?x=ü', 'HTTP://H.EXAMPLE/X',
    'http://h:80/x', 'https://h:443/x', 'https://h:80/x', 'http://h:0080/x', 'http://h:/x', 'http://h:65536/x',
    'http://h:8a/x', 'http://user:pass@h/x', 'http://@h/x', 'http://a@b@h/x', 'http:/h/x', 'http:h/x', 'http:\\\\h\\x',
    '  http://h/x  ', 'http://h/x\ty\nz', 'http://0x7f.1/', 'http://127.1/', 'http://2130706433/', 'http://0177.0.0.1/',
    'http://256.0.0.1/', 'http://1.2.3.4.5/', 'http://[::1]:8787/x', 'http://[0:0:0:0:0:0:0:1]/', 'http://[1:0:0:2::3:0]/',
    'http://[::ffff:127.0.0.1]/', 'http://[::]/', 'http://[1::]/', 'http://[::1/', 'http://h%41/', 'http://h%2f/',
    'http://a b/', 'http://h/telemetry', 'http://h/x/telemetry?y', 'ftp://h/x', 'ws://h:80/x', 'h/x', '',
    'http://h/a/./b/../../c', 'http://h/%2E%2e%2E', 'http://h/...', 'http://h/.../x', 'http://h/a/..%2f', 'http://h/;a/.;/b',
    'http://example.com/%e2%82%ac?%e2%82%ac#%e2%82%ac', 'http://h/\u0000x', 'http://h/\u007fx', 'http://h/x?a=1&b=2&a=3',
    'http://h/?+a+=+b+&&=x&y&%zz=%41%e2%82%ac&%c3=1', 'http://h/#frag ment`',
];
write(`${vectors}/url.json`, urlInputs.map((input) => {
    let url;
    try { url = new URL(input); } catch { return { input, error: true }; }
    return {
        input, href: url.href, protocol: url.protocol, host: url.host, hostname: url.hostname, port: url.port,
        pathname: url.pathname, search: url.search, hash: url.hash, origin: url.origin,
        searchParams: [...url.searchParams],
    };
}));

// MARK: Fetch: header bytes are Latin-1; request.text() strips one BOM

const headerValues = ['203.0.113.7', 'ünïcode', '日本', '\u00a0x', 'ÿ', '😀', 'a\u0080b'];
write(`${vectors}/header-latin1.json`, headerValues.map((text) => {
    const bytes = [...Buffer.from(text, 'utf8')];
    const latin1 = Buffer.from(bytes).toString('latin1');
    const hash = crypto.createHash('sha256').update(new TextEncoder().encode(latin1)).digest('hex').slice(0, 16);
    return { utf8: text, bytes, latin1, voiceModeIPHash: hash };
}));
const bodies = [[0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0xEF, 0xBB], [0x22, 0xFF, 0x22],
    [0xFE, 0xFF, 0x00, 0x7B], [0x7B, 0x7D, 0xEF, 0xBB, 0xBF]];
write(`${vectors}/body-text.json`, bodies.map((bytes) => {
    const text = new TextDecoder().decode(new Uint8Array(bytes));
    let json;
    try { json = { value: JSON.parse(text) }; } catch (error) { json = { error: error.message }; }
    return { bytes, text, json };
}));

// MARK: Runt's hexToBytes and D1 array binding

function hexToBytes(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < hex.length; i += 2) bytes[i / 2] = parseInt(hex.slice(i, i + 2), 16);
    return bytes;
}
const signatureValues = [
    '"ab"', '"abc"', '"ABcd"', '"-1ff"', '" 1f2"', '"0x1"', '"1z2y"', '"\\ud83d\\ude00ab"', '"é0"', '"+f-f"',
    '["ab","cd"]', '["ab","cd","ef"]', '[171,205]', '["0xab",null,"ff"]', '[["ab","cd"],"ef"]', '[null,null]',
    '[true,"ff"]', '[{},"ab"]', '["ab,cd","ef"]', '[1.5,2]', '["-1","x"]', '[]', '["f"]', '[["f","f"]]',
];
write(`${vectors}/hex-to-bytes.json`, signatureValues.map((text) => {
    try {
        return { value: text, bytes: [...hexToBytes(JSON.parse(text))] };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));
const d1Arrays = ['[0,1,255]', '[255.9,0.5,1.5]', '[-0]', '[256]', '[-1]', '[1e400]', '["1"]', '[true]', '[null]', '[]',
    '[[1]]', '[1,{}]', '[0.0001,254.99999]', '[1,null,2]'];
write(`${vectors}/d1-array-binding.json`, d1Arrays.map((text) => {
    const value = JSON.parse(text);
    const accepted = value.every((b) => typeof b == 'number' && b >= 0 && b < 256);
    if (accepted) return { value: text, blob: Array.from(new Uint8Array(value)) };
    return { value: text, error: `D1_TYPE_ERROR: Type 'object' not supported for value '${value}'` };
}));

// MARK: VoiceMode's timestamp rules (worker.js validatePayload, rules 5-8) at the tests' clock

const voiceModeNow = Date.parse('2026-01-01T00:00:00.000Z');
function timestampRule(text) {
    const dayInMs = 86400000;
    if (!text || typeof text !== 'string') return 'Invalid or missing timestamp';
    const timestamp = new Date(text);
    if (isNaN(timestamp.getTime())) return 'Invalid timestamp format (must be ISO 8601)';
    if (timestamp > new Date(voiceModeNow + dayInMs)) return 'Timestamp too far in the future';
    if (timestamp < new Date(voiceModeNow - (90 * dayInMs))) return 'Timestamp too old (max 90 days)';
    return null;
}
const voiceModeTimestamps = [
    '2025-12-31t05:13:25z', 'Wed, 31 Dec 2025 16:30:25 GMT', '2025/12/31', '12/31/2025 16:30', 'Dec 31, 2025',
    '2025-12-31T16:30:25+0000', 'Wed Dec 31 2025 16:30:25 GMT+0000 (Coordinated Universal Time)', '0', '1', '12/31',
    'December 31', 'Dec 31 2025 4:30 PM EST', '31 Dec 2025 23:59:59 -0800', '2025-12-31T23:59:59.9999999-05:00',
    '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.001Z', '2025-10-03', '2025-10-02T23:59:59.999Z', ' 2025-12-31',
    '2025-12-31 ', '2025-1-5', 'Thu Jan 01 2026', 'January 2, 2026 00:00:01 AM', 'Jan 2, 2026 12:00:01 AM',
].concat(dateInputs);
write('Tests/VoiceModeWorkerTests/Vectors/timestamps.json', [...new Set(voiceModeTimestamps)].map((timestamp) => ({
    timestamp, error: timestampRule(timestamp),
})));
