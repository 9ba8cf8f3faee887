// make bench-schema, AJV's side: the same schema (with the customer schema
// it references) and payload, validate-only and JSON.parse + validate.
const fs = require("fs");
const path = require("path");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats");

const [schemaDir, payloadFile, roundsArg] = process.argv.slice(2);
const rounds = parseInt(roundsArg, 10);
const ajv = new Ajv2020({ allErrors: false, strict: false });
addFormats(ajv);
const customer = JSON.parse(fs.readFileSync(path.join(schemaDir,
                                                      "customer.json")));
customer.$id = "https://schemas.retail.example/customer.json";
ajv.addSchema(customer);
const order = JSON.parse(fs.readFileSync(path.join(schemaDir, "order.json")));
order.$id = "https://schemas.retail.example/order.json";
const validate = ajv.compile(order);
const text = fs.readFileSync(payloadFile, "utf8");
const doc = JSON.parse(text);
if (!validate(doc)) { console.error(validate.errors); process.exit(2); }

let t = process.hrtime.bigint(), n = 0;
for (let i = 0; i < rounds; i++) n += validate(doc) ? 1 : 0;
let s = Number(process.hrtime.bigint() - t) / 1e9;
console.log("ajv validate-only: " + Math.round(n / s) + "/s");

t = process.hrtime.bigint(); n = 0;
for (let i = 0; i < rounds; i++) n += validate(JSON.parse(text)) ? 1 : 0;
s = Number(process.hrtime.bigint() - t) / 1e9;
console.log("ajv JSON.parse+validate: " + Math.round(n / s) + "/s");
