// Drives real Odoo client libraries from npm (odoo-await, odoo-xmlrpc)
// against the gateway, as a partner would: only the password changed (the
// partner's token where Odoo's key goes).  Prints what each call returned,
// or the fault it raised, as one JSON object.
//
// usage: node odoo_clients.js http://127.0.0.1 PORT TOKEN

const OdooAwait = require('odoo-await');
const OdooXmlrpc = require('odoo-xmlrpc');

const [base, port, token] = process.argv.slice(2);

function caught(e) {
    return {faultCode: e.faultCode, faultString: e.faultString || String(e)};
}

function call(fn) {
    return new Promise((resolve) => {
        fn((err, value) => resolve(err ? {error: caught(err)} : {value}));
    });
}

(async () => {
    const out = {};
    const oa = new OdooAwait({baseUrl: base, port: Number(port),
                              db: 'retail', username: 'bot@partner',
                              password: token});

    out.await_uid = await oa.connect();
    out.await_rows = await oa.searchRead('res.partner', [], ['name'],
                                         {limit: 2});
    out.await_created = await oa.create('res.partner',
                                        {name: 'Await Partner'});
    try {
        await oa.read('res.users', [1], ['name']);
        out.await_refused = null;
    } catch (e) {
        out.await_refused = caught(e);
    }

    const ox = new OdooXmlrpc({url: base, port: Number(port), db: 'retail',
                               username: 'bot@partner', password: token});

    out.xmlrpc_uid = await call((cb) => ox.connect(cb));
    out.xmlrpc_rows = await call((cb) => ox.execute_kw('res.partner',
        'search_read', [[[]], {fields: ['name'], limit: 2}], cb));
    out.xmlrpc_created = await call((cb) => ox.execute_kw('res.partner',
        'create', [[{name: 'Xmlrpc Partner'}]], cb));
    out.xmlrpc_refused = await call((cb) => ox.execute_kw('res.users',
        'read', [[[1]], {fields: ['name']}], cb));

    process.stdout.write(JSON.stringify(out));
})().catch((e) => {
    process.stdout.write(JSON.stringify({crashed: caught(e)}));
    process.exit(1);
});
