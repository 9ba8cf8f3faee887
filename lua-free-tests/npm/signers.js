// The independent side of govern's webhook tests: signs and verifies with
// the npm packages senders use (standardwebhooks, stripe), never with
// govern's code.  Reads a JSON array of requests on stdin, writes a JSON
// array of answers on stdout, one per request, in order.  Bodies travel
// as base64; the packages read them as UTF-8 text, so callers send only
// valid UTF-8 here.
//
//   {"op": "standard_sign", "secret", "id", "timestamp", "body"}
//       -> "v1,<base64>"
//   {"op": "standard_verify", "secret", "headers": {...}, "body", "now"}
//       -> "ok" or the package's error message
//   {"op": "stripe_header", "secret", "timestamp", "body", "scheme"?}
//       -> "t=...,v1=..." (generateTestHeaderString)
//   {"op": "stripe_verify", "secret", "header", "body", "now", "tolerance"}
//       -> "ok" or the package's error message

'use strict';

const { Webhook } = require('standardwebhooks');
const Stripe = require('stripe');

const stripe = new Stripe('sk_test_unused');

function body(b64) {
    return Buffer.from(b64, 'base64');
}

function standardVerify(r) {
    // the package reads the clock: pin it to the request's "now"
    const realNow = Date.now;
    Date.now = () => r.now * 1000;
    try {
        new Webhook(r.secret).verify(body(r.body), r.headers,
                                     { jsonParse: false });
        return 'ok';
    } catch (e) {
        return e.message;
    } finally {
        Date.now = realNow;
    }
}

function stripeVerify(r) {
    try {
        stripe.webhooks.signature.verifyHeader(body(r.body), r.header,
                                               r.secret, r.tolerance,
                                               undefined, r.now * 1000);
        return 'ok';
    } catch (e) {
        return e.message.split('\n')[0];
    }
}

function answer(r) {
    switch (r.op) {
    case 'standard_sign':
        return new Webhook(r.secret).sign(r.id, new Date(r.timestamp * 1000),
                                          body(r.body));
    case 'standard_verify':
        return standardVerify(r);
    case 'stripe_header':
        return stripe.webhooks.generateTestHeaderString({
            payload: body(r.body).toString('utf8'),
            secret: r.secret,
            timestamp: r.timestamp,
            scheme: r.scheme,
        });
    case 'stripe_verify':
        return stripeVerify(r);
    default:
        throw new Error('unknown op ' + r.op);
    }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(JSON.parse(input).map(answer)));
});
