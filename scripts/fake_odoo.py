#!/usr/bin/python3
"""A fake Odoo upstream for govern's demo and tests (standard library only).

It speaks Odoo's external API as shared/reference/odoo-api.md describes it:

  GET  /web/version, /json/version
  POST /jsonrpc                      common (version, login, authenticate,
                                     about), object (execute_kw, execute),
                                     db (list and server_version only)
  POST /web/session/authenticate     session cookie; /web/session/destroy
  POST /web/dataset/call_kw[/...]    model and method from the body
  POST /web/dataset/call_button
  POST /web/dataset/resequence       writes field=offset+i on the ids
  POST /json/2/<model>/<method>      bearer API key, X-Odoo-Database
                                     (Odoo 19 mode only)
  POST /xmlrpc/2/<service>           XML-RPC: common, object, db, with
                                     integer fault codes 1-4
  POST /xmlrpc/<service>             the legacy route: string fault codes

Paths are routed percent-decoded, as werkzeug routes PATH_INFO.

with in-memory res.partner (child_ids, category_id), res.users,
product.product, stock.location, stock.quant, sale.order (+ lines with
tax_ids, tag_ids, action_confirm), stock.picking (button_validate) and
account.move, a per-user ACL, and one exception taxonomy rendered per
protocol.  Calls dispatch as Odoo's call_kw does: an @api.model method
takes its args as they are, any other method takes record ids first.
x2many values follow fields.Command as Odoo compares it (Python ==, so
0.0 and false are CREATE, true is UPDATE, 6.0 is SET; a code that equals
none of 0..6 is skipped), and a plain list of ids sets those ids.  A
falsy limit (0, null, false) is no limit.

Test control lives under /__fake_odoo__/ (never proxied by the demo):
  GET  /__fake_odoo__/calls      what Odoo executed: protocol, db, uid,
                                 model, method, ids, args, kwargs; the
                                 arguments as the method bound them
                                 ("bound": the limit after defaults),
                                 "effects" (records created, written,
                                 deleted, linked, unlinked per model;
                                 records read by a search or grouped
                                 read) and "returned" (how many records,
                                 ids or groups the result holds)
  GET  /__fake_odoo__/requests   every HTTP request: method, path, headers,
                                 body sha256 and length
  POST /__fake_odoo__/reset      forget calls and requests, reseed data
  POST /__fake_odoo__/faults     {"latency_ms": N, "fail_500": N,
                                  "drop": N, "lock_error": N,
                                  "validation_error_on_create": N}
  GET  /__fake_odoo__/records/<model>
"""

import argparse
import base64
import copy
import datetime
import fnmatch
import hashlib
import hmac
import inspect
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import urllib.parse
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# ---------------------------------------------------------------- errors

class OdooError(Exception):
    """An exception as Odoo serializes it (odoo.http.serialize_exception)."""

    name = "odoo.exceptions.UserError"
    http_status = 422       # JSON-2 status (odoo/exceptions.py, 17+)
    rpc_code = 200          # JSON-RPC error.code ("totally arbitrary")
    rpc_message = "Odoo Server Error"

    def __init__(self, message, arguments=None):
        super().__init__(message)
        self.message = message
        self.arguments = arguments if arguments is not None else [message]

    def serialize(self):
        return {
            "name": self.name,
            "message": self.message,
            "arguments": self.arguments,
            "context": {},
            "debug": "Traceback (most recent call last):\n"
                     '  File "odoo/http.py", line 2018, in _serve_db\n'
                     "%s: %s\n" % (self.name, self.message),
        }


class UserError(OdooError):
    pass


class ValidationError(OdooError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    name = "odoo.exceptions.AccessError"
    http_status = 403


class AccessDenied(OdooError):
    name = "odoo.exceptions.AccessDenied"
    http_status = 403

    def __init__(self, message="Access Denied"):
        super().__init__(message)


class MissingError(OdooError):
    name = "odoo.exceptions.MissingError"
    http_status = 404


class LockError(OdooError):
    name = "odoo.exceptions.LockError"
    http_status = 409


class AttributeErr(OdooError):
    name = "builtins.AttributeError"
    http_status = 404


class SessionExpired(OdooError):
    name = "odoo.http.SessionExpiredException"
    http_status = 403
    rpc_code = 100
    rpc_message = "Odoo Session Expired"

    def __init__(self):
        super().__init__("Session expired")


class ApplicationError(OdooError):
    """Any other Python exception, as Odoo's RPC layers see it: not an
    odoo.exceptions class (fault 1 on XML-RPC)."""

    def __init__(self, exc):
        super().__init__(str(exc))
        self.name = "%s.%s" % (type(exc).__module__, type(exc).__name__)
        self.exc = exc


class WerkzeugError(OdooError):
    """werkzeug.exceptions.*: arguments are [description, code]."""

    def __init__(self, code, description, www_authenticate=False):
        names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
                 404: "NotFound", 415: "UnsupportedMediaType",
                 422: "UnprocessableEntity"}
        super().__init__(description, [description, code])
        self.name = "werkzeug.exceptions." + names[code]
        self.http_status = code
        self.www_authenticate = www_authenticate
        if code == 404:
            self.rpc_code = 404
            self.rpc_message = "404: Not Found"


class OperationalError(Exception):
    """psycopg2's, as Odoo's Registry(db) raises it for an unknown db."""


OperationalError.__module__ = "psycopg2"


# ---------------------------------------------------------------- XML-RPC

# The XML-RPC controllers: odoo/addons/base/controllers/rpc.py (17.0,
# 18.0) and addons/rpc/controllers/xmlrpc.py (19.0).  A request is read
# with xmlrpc.client.loads(data, use_datetime=True), dispatched like
# /jsonrpc, and answered at HTTP 200 in text/xml, a fault included.
# xmlrpc_handle_exception_int() (/xmlrpc/2/<service>) checks AccessError
# (4), then AccessDenied (3), then UserError and its subclasses (2);
# anything else is 1 with the traceback as faultString.
# xmlrpc_handle_exception_string() (/xmlrpc/<service>) writes the class
# into a string faultCode instead.

# UserError and its subclasses but the two access classes (odoo/
# exceptions.py, 17+: ValidationError, MissingError, LockError)
USER_ERRORS = {"odoo.exceptions.UserError", "odoo.exceptions.ValidationError",
               "odoo.exceptions.MissingError", "odoo.exceptions.LockError",
               "odoo.exceptions.RedirectWarning"}

# Odoo's marshaller removes the control characters XML 1.0 cannot carry
# (0-31 but tab, newline and carriage return) from every string it writes
XML_UNSAFE = {c: None for c in range(32) if c not in (9, 10, 13)}


def xmlrpc_value(value):
    """A result as Odoo's marshaller writes it: dates and datetimes as the
    ORM's strings, bytes as text, strings without control characters.
    None is left for the marshaller to refuse (allow_none=False), as in
    Odoo, which is why its methods return True."""
    if isinstance(value, str):
        return value.translate(XML_UNSAFE)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bytes):
        return value.decode().translate(XML_UNSAFE)
    if isinstance(value, dict):
        return {k: xmlrpc_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [xmlrpc_value(v) for v in value]
    return value


def formatted_exception(exc):
    """traceback.format_exception() as Odoo's faultString has it: the
    frames, then the exception under the name Odoo's class has."""
    name = exc.name if isinstance(exc, OdooError) else "%s.%s" % (
        type(exc).__module__, type(exc).__name__)
    if name.startswith("builtins."):
        name = name[len("builtins."):]
    message = str(exc)
    return "Traceback (most recent call last):\n%s%s\n" % (
        "".join(traceback.format_tb(exc.__traceback__)),
        "%s: %s" % (name, message) if message else name)


def xmlrpc_fault(exc, legacy):
    """The Fault Odoo answers for exc, raised and caught."""
    name = exc.name if isinstance(exc, OdooError) \
        and not isinstance(exc, ApplicationError) else None
    message = str(exc)
    formatted = formatted_exception(exc)
    if not legacy:
        if name == AccessError.name:
            return xmlrpc.client.Fault(4, message)
        if name == AccessDenied.name:
            return xmlrpc.client.Fault(3, message)
        if name in USER_ERRORS:
            return xmlrpc.client.Fault(2, message)
        return xmlrpc.client.Fault(1, formatted)
    if name == MissingError.name:
        return xmlrpc.client.Fault("warning -- MissingError\n\n" + message,
                                   "")
    if name == AccessError.name:
        return xmlrpc.client.Fault("warning -- AccessError\n\n" + message,
                                   "")
    if name == AccessDenied.name:
        return xmlrpc.client.Fault("AccessDenied", message)
    if name in USER_ERRORS:
        return xmlrpc.client.Fault("warning -- UserError\n\n" + message, "")
    # odoo.tools.exception_to_unicode(): the arguments, a line each
    original = exc.exc if isinstance(exc, ApplicationError) else exc
    text = "\n".join(str(a) for a in original.args) if original.args \
        else str(original)
    return xmlrpc.client.Fault(text, formatted)


def xmlrpc_response(payload):
    """Odoo's dumps(): a one-value tuple or a Fault, marshalled without
    None, in a methodResponse on lines of its own."""
    if isinstance(payload, xmlrpc.client.Fault):
        payload = xmlrpc.client.Fault(xmlrpc_value(payload.faultCode),
                                      xmlrpc_value(payload.faultString))
    else:
        payload = tuple(xmlrpc_value(v) for v in payload)
    body = xmlrpc.client.Marshaller(allow_none=False).dumps(payload)
    return '<?xml version="1.0"?>\n<methodResponse>\n%s\n' \
           '</methodResponse>\n' % body


# /xmlrpc/<service> and /xmlrpc/2/<service> (werkzeug's default converter:
# no slash in the service)
XMLRPC_PATH = re.compile(r"/xmlrpc/(2/)?([^/]+)")


def json_default(value):
    """Values XML-RPC clients send that JSON cannot hold, in the call log."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, xmlrpc.client.Binary):
        return base64.b64encode(value.data).decode()
    raise TypeError("%r is not JSON serializable" % (value,))


def field_value(spec, value):
    """What the ORM stores for a written value: a datetime or date (the
    dateTime.iso8601 XML-RPC clients send) as its field string."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d" if spec[0] == "date"
                              else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


# ---------------------------------------------------------------- models

# field: (type, comodel or selection, extra)
MODELS = {
    "res.partner": {
        "_description": "Contact",
        "name": ("char",), "email": ("char",), "phone": ("char",),
        "street": ("char",), "city": ("char",), "zip": ("char",),
        "country_id": ("many2one", "res.country"), "ref": ("char",),
        "is_company": ("boolean",), "active": ("boolean",),
        "customer_rank": ("integer",), "comment": ("html",),
        "parent_id": ("many2one", "res.partner"),
        "child_ids": ("one2many", "res.partner", "parent_id"),
        "category_id": ("many2many", "res.partner.category"),
    },
    "res.partner.category": {
        "_description": "Partner Tags",
        "name": ("char",), "active": ("boolean",),
    },
    "res.users": {
        "_description": "User",
        "name": ("char",), "login": ("char",), "partner_id":
        ("many2one", "res.partner"), "active": ("boolean",),
    },
    "res.users.apikeys": {
        "_description": "Users API Keys",
        "name": ("char",), "user_id": ("many2one", "res.users"),
        "scope": ("char",), "index": ("char",),
    },
    "product.product": {
        "_description": "Product Variant",
        "name": ("char",), "default_code": ("char",),
        "list_price": ("float",), "sale_ok": ("boolean",),
        "active": ("boolean",),
        "qty_available": ("float", None, "computed"),
        "free_qty": ("float", None, "computed"),
        "virtual_available": ("float", None, "computed"),
    },
    "stock.location": {
        "_description": "Inventory Locations",
        "name": ("char",), "complete_name": ("char",),
        "usage": ("selection",),
    },
    "stock.quant": {
        "_description": "Quants",
        "product_id": ("many2one", "product.product"),
        "location_id": ("many2one", "stock.location"),
        "quantity": ("float",), "reserved_quantity": ("float",),
        "available_quantity": ("float", None, "computed"),
    },
    "sale.order": {
        "_description": "Sales Order",
        "name": ("char",), "partner_id": ("many2one", "res.partner"),
        "client_order_ref": ("char",), "state": ("selection",),
        "order_line": ("one2many", "sale.order.line", "order_id"),
        "amount_total": ("float", None, "computed"),
        "date_order": ("datetime",),
        "tag_ids": ("many2many", "crm.tag"),
    },
    "crm.tag": {
        "_description": "CRM Tag",
        "name": ("char",),
    },
    "account.tax": {
        "_description": "Tax",
        "name": ("char",), "amount": ("float",), "active": ("boolean",),
    },
    "sale.order.line": {
        "_description": "Sales Order Line",
        "order_id": ("many2one", "sale.order"),
        "product_id": ("many2one", "product.product"),
        "name": ("char",), "product_uom_qty": ("float",),
        "price_unit": ("float",), "sequence": ("integer",),
        "tax_ids": ("many2many", "account.tax"),
    },
    "stock.picking": {
        "_description": "Transfer",
        "name": ("char",), "origin": ("char",), "state": ("selection",),
        "picking_type_code": ("selection",),
        "partner_id": ("many2one", "res.partner"),
        "sale_id": ("many2one", "sale.order"),
        "scheduled_date": ("datetime",), "date_done": ("datetime",),
        "carrier_tracking_ref": ("char",),
    },
    "account.move": {
        "_description": "Journal Entry",
        "name": ("char",), "move_type": ("selection",),
        "state": ("selection",), "payment_state": ("selection",),
        "partner_id": ("many2one", "res.partner"),
        "invoice_date": ("date",), "invoice_date_due": ("date",),
        "amount_total": ("float",), "amount_residual": ("float",),
        "currency_id": ("many2one", "res.currency"),
        "invoice_origin": ("char",),
    },
}

# @api.model methods: args[0] is not ids, and JSON-2 refuses ids for them
API_MODEL = {"create", "search", "search_read", "search_count",
             "search_fetch", "name_search", "name_create", "default_get",
             "fields_get", "read_group", "formatted_read_group",
             "web_read_group", "web_search_read", "context_get",
             "check_access_rights"}

_EMPTY = inspect.Parameter.empty

# method -> [(name, default)], the Python signature after self
SIGNATURES = {
    "search_read": [("domain", None), ("fields", None), ("offset", 0),
                    ("limit", None), ("order", None)],
    "search": [("domain", _EMPTY), ("offset", 0), ("limit", None),
               ("order", None)],
    "search_count": [("domain", _EMPTY), ("limit", None)],
    "read": [("fields", None), ("load", "_classic_read")],
    "create": [("vals_list", _EMPTY)],
    "write": [("vals", _EMPTY)],
    "unlink": [],
    "search_fetch": [("domain", _EMPTY), ("field_names", _EMPTY),
                     ("offset", 0), ("limit", None), ("order", None)],
    "web_search_read": [("domain", _EMPTY), ("specification", _EMPTY),
                        ("offset", 0), ("limit", None), ("order", None),
                        ("count_limit", None)],
    "name_search": [("name", ""), ("domain", None), ("operator", "ilike"),
                    ("limit", 100)],
    "read_group": [("domain", _EMPTY), ("fields", _EMPTY),
                   ("groupby", _EMPTY), ("offset", 0), ("limit", None),
                   ("orderby", False), ("lazy", True)],
    "formatted_read_group": [("domain", _EMPTY), ("groupby", ()),
                             ("aggregates", ()), ("having", ()),
                             ("offset", 0), ("limit", None),
                             ("order", None)],
    # 19.0; SIGNATURES_BEFORE_19 has 17.0 and 18.0's
    "web_read_group": [("domain", _EMPTY), ("groupby", _EMPTY),
                       ("aggregates", ()), ("limit", None), ("offset", 0),
                       ("order", None), ("auto_unfold", False),
                       ("opening_info", None),
                       ("unfold_read_specification", None),
                       ("unfold_read_default_limit", 80),
                       ("groupby_read_specification", None)],
    "copy": [("default", None)],
    "fields_get": [("allfields", None), ("attributes", None)],
    "search_fetch": [("domain", _EMPTY), ("field_names", _EMPTY),
                     ("offset", 0), ("limit", None), ("order", None)],
    "check_access_rights": [("operation", _EMPTY),
                            ("raise_exception", True)],
    "default_get": [("fields_list", _EMPTY)],
    "name_create": [("name", _EMPTY)],
    "action_confirm": [],
    "button_validate": [],
    "context_get": [],
    "address_get": [("adr_pref", None)],
}

SIGNATURES_BEFORE_19 = {
    "web_read_group": [("domain", _EMPTY), ("fields", _EMPTY),
                       ("groupby", _EMPTY), ("limit", None), ("offset", 0),
                       ("orderby", False), ("lazy", True),
                       ("expand", False), ("expand_limit", None),
                       ("expand_orderby", False)],
}

# methods that exist on some models only
MODEL_METHODS = {
    "sale.order": {"action_confirm"},
    "stock.picking": {"button_validate"},
    "res.users": {"context_get"},
    "res.partner": {"address_get"},
}
SOME_MODELS = set().union(*MODEL_METHODS.values())

READ_METHODS = {"search_read", "search", "search_count", "search_fetch",
                "web_search_read", "read", "name_search", "fields_get",
                "context_get", "read_group", "formatted_read_group",
                "web_read_group", "address_get", "default_get"}
OPERATION = {"create": "create", "write": "write", "unlink": "unlink",
             "copy": "create", "action_confirm": "write",
             "button_validate": "write", "name_create": "create"}

# ACL per group: model -> operations
ACL = {
    "bot": {
        "res.partner": {"read", "create", "write"},
        "res.users": {"read"},
        "product.product": {"read"},
        "stock.location": {"read"},
        "stock.quant": {"read"},
        "res.partner.category": {"read"},
        "crm.tag": {"read"},
        "account.tax": {"read"},
        "sale.order": {"read", "create", "write"},
        "sale.order.line": {"read", "create", "write", "unlink"},
        "stock.picking": {"read", "write"},
        "account.move": {"read"},
    },
}


def now_str():
    return datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")


def sql_limit(value, clause="LIMIT"):
    """A limit (or offset) as PostgreSQL takes it from Odoo's query: a
    falsy one adds no clause; a number is rounded like a numeric cast to
    bigint; true or a non-number fails the query."""
    if not value:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)      # an unknown-typed literal, cast by SQL
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("argument of %s must be type bigint, not %r"
                         % (clause, value))
    if value < 0:
        raise ValueError("%s must not be negative" % clause)
    return int(value + 0.5)


def signature(method, version):
    if version < 19 and method in SIGNATURES_BEFORE_19:
        return SIGNATURES_BEFORE_19[method]
    return SIGNATURES[method]


def bind(method, ids_given, args, kwargs, version=19):
    """Binds args/kwargs to the method's signature like inspect.bind."""
    sig = signature(method, version)
    if len(args) > len(sig):
        raise TypeError("too many positional arguments")
    bound = {}
    for (name, _), value in zip(sig, args):
        bound[name] = value
    for key, value in kwargs.items():
        names = [n for n, _ in sig]
        if key not in names:
            raise TypeError("got an unexpected keyword argument '%s'" % key)
        if key in bound:
            raise TypeError("multiple values for argument '%s'" % key)
        bound[key] = value
    for name, default in sig:
        if name not in bound:
            if default is _EMPTY:
                raise TypeError("missing a required argument: '%s'" % name)
            bound[name] = default
    return bound


class Odoo:
    """The database: records, users, sessions and the call log."""

    def __init__(self, db, version, credentials):
        self.db = db
        self.version = version
        self.credentials = credentials
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------ state

    def reset(self):
        with self.lock:
            self.calls = []
            self.requests = []
            self.sessions = {}
            self.faults = {"latency_ms": 0, "fail_500": 0, "drop": 0,
                           "lock_error": 0, "validation_error_on_create": 0}
            self.seed()

    def seed(self):
        self.records = {m: {} for m in MODELS}
        self.next_id = {m: 1 for m in MODELS}
        self.users = {}
        add = self._insert
        add("res.partner", {"name": "My Company", "is_company": True})
        add("res.partner", {"name": "Administrator"})
        add("res.partner", {"name": "Deco Addict", "is_company": True,
                            "email": "deco@example.com", "customer_rank": 1})
        self._user(2, "admin", "admin", "admin", [])
        for partner, cred in sorted(self.credentials.items()):
            if cred.get("db", self.db) != self.db:
                continue
            self._user(int(cred["uid"]), "%s@bots.example" % partner,
                       "", "bot", [cred["api_key"]])
        add("stock.location", {"name": "Stock", "complete_name": "WH/Stock",
                               "usage": "internal"})
        add("stock.location", {"name": "Customers",
                               "complete_name": "Partners/Customers",
                               "usage": "customer"})
        add("product.product", {"name": "Blue T-shirt",
                                 "default_code": "SKU-001",
                                 "list_price": 19.9, "sale_ok": True})
        add("product.product", {"name": "Red Mug", "default_code": "SKU-002",
                                "list_price": 9.5, "sale_ok": True})
        add("product.product", {"name": "Gift Card",
                                "default_code": "SKU-003",
                                "list_price": 50.0, "sale_ok": False})
        add("stock.quant", {"product_id": 1, "location_id": 1,
                            "quantity": 12.0, "reserved_quantity": 2.0})
        add("stock.quant", {"product_id": 2, "location_id": 1,
                            "quantity": 5.0, "reserved_quantity": 0.0})
        add("account.move", {"name": "INV/2026/00001",
                             "move_type": "out_invoice", "state": "posted",
                             "payment_state": "paid", "partner_id": 3,
                             "invoice_date": "2026-05-02",
                             "invoice_date_due": "2026-06-01",
                             "amount_total": 100.0, "amount_residual": 0.0,
                             "currency_id": 1,
                             "invoice_origin": "S00000"})
        for name in ("VIP", "Wholesale", "Retail"):
            add("res.partner.category", {"name": name})
        for name in ("Online", "Promo", "Repeat", "B2B", "Export"):
            add("crm.tag", {"name": name})
        add("account.tax", {"name": "VAT 21%", "amount": 21.0})
        add("account.tax", {"name": "VAT 6%", "amount": 6.0})

    def _user(self, uid, login, password, group, keys):
        partner = self._insert("res.partner", {"name": login})
        self.records["res.users"][uid] = {
            "id": uid, "name": login, "login": login, "active": True,
            "partner_id": partner}
        self.next_id["res.users"] = max(self.next_id["res.users"], uid + 1)
        self.users[uid] = {"login": login, "password": password,
                           "group": group, "api_keys": []}
        for key in keys:
            self.users[uid]["api_keys"].append(
                {"index": key[:8], "key": key, "scope": None,
                 "expiration_date": None})
            self._insert("res.users.apikeys", {"name": "gateway",
                                               "user_id": uid,
                                               "index": key[:8],
                                               "scope": None})

    def _insert(self, model, vals):
        rid = self.next_id[model]
        self.next_id[model] = rid + 1
        rec = {"id": rid}
        for field, spec in MODELS[model].items():
            if field.startswith("_") or len(spec) > 2 and spec[2] == \
                    "computed" or spec[0] == "one2many":
                continue
            rec[field] = vals.get(field, self._default(model, field, spec))
        self.records[model][rid] = rec
        return rid

    @staticmethod
    def _default(model, field, spec):
        if field == "active":
            return True
        if spec[0] in ("float",):
            return 0.0
        if spec[0] == "integer":
            return 0
        if spec[0] == "boolean":
            return False
        if spec[0] == "many2many":
            return []
        return False

    # ------------------------------------------------------------ auth

    def check_key(self, key, uid=None):
        """res.users.apikeys._check_credentials(scope='rpc', key=key)."""
        if not isinstance(key, str) or len(key) < 8:
            return None
        for user_id, user in self.users.items():
            for k in user["api_keys"]:
                if k["index"] != key[:8] or k["scope"] not in (None, "rpc"):
                    continue
                if k["expiration_date"] and \
                        k["expiration_date"] < now_str():
                    continue
                if not hmac.compare_digest(k["key"], key):
                    continue
                if not self.records["res.users"][user_id]["active"]:
                    continue
                if uid is None or uid == user_id:
                    return user_id
        return None

    def check_uid_passwd(self, uid, passwd):
        """Returns how the user authenticated or raises AccessDenied."""
        if not passwd:
            raise AccessDenied()
        user = self.users.get(uid)
        if user is None or not self.records["res.users"][uid]["active"]:
            raise AccessDenied()
        if user["password"] and hmac.compare_digest(user["password"],
                                                    str(passwd)):
            return "password"
        if self.check_key(passwd, uid) == uid:
            return "apikey"
        raise AccessDenied()

    def login(self, db, login, password):
        if db != self.db:
            return False
        for uid, user in self.users.items():
            if user["login"] == login:
                try:
                    self.check_uid_passwd(uid, password)
                except AccessDenied:
                    return False
                return uid
        return False

    # ------------------------------------------------------------ dispatch

    def execute(self, protocol, db, uid, auth, model, method, args, kwargs,
                ids=None):
        """call_kw: runs model.method for uid and records the call."""
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) if protocol != "json2" \
            else kwargs.pop("__context", None)
        entry = {"protocol": protocol, "db": db, "uid": uid, "auth": auth,
                 "model": model, "method": method, "args": args,
                 "kwargs": kwargs, "context": context, "ids": ids,
                 "bound": None, "effects": {}, "returned": None,
                 "time": time.time()}
        with self.lock:
            self.calls.append(entry)
            self.effects = entry["effects"]
            if model not in MODELS:
                raise UserError("Object %s doesn't exist" % model)
            if method.startswith("_"):
                raise AccessError(
                    "Private methods (such as '%s.%s') cannot be called "
                    "remotely." % (model, method))
            if method not in SIGNATURES or (
                    method in SOME_MODELS
                    and method not in MODEL_METHODS.get(model, ())):
                raise AttributeErr("The method '%s.%s' does not exist"
                                   % (model, method))
            # call_kw: a method that is not @api.model takes ids first
            if protocol != "json2" and method not in API_MODEL:
                if not args:
                    raise TypeError("missing a required argument: 'ids'")
                ids, args = args[0], list(args[1:])
            ids = self.browse(model, ids)
            entry["ids"] = ids
            bound = bind(method, ids, list(args), kwargs, self.version)
            entry["bound"] = copy.deepcopy(bound)
            if method != "check_access_rights":
                self.check_access(uid, model, method)
            if self.faults["lock_error"] > 0:
                self.faults["lock_error"] -= 1
                raise LockError("Cannot obtain lock on the record")
            result = self.run(uid, model, method, ids, bound,
                              context or {})
            entry["returned"] = self.returned(method, result)
            return result

    @staticmethod
    def browse(model, ids):
        """model.browse(ids) as far as SQL will take the ids: an int or a
        list of them (1.0 compares equal to 1 in PostgreSQL), falsy is no
        record; anything else fails in the query."""
        if ids is None or ids is False:
            return []
        if not isinstance(ids, list):
            ids = [ids]
        out = []
        for rid in ids:
            if isinstance(rid, bool) or not isinstance(rid, (int, float)) \
                    or rid != int(rid):
                raise ValueError('invalid input syntax for type integer: '
                                 '"%s"' % (rid,))
            out.append(int(rid))
        return out

    @staticmethod
    def returned(method, result):
        if method == "web_read_group":
            return len(result["groups"])
        if method == "web_search_read":
            return len(result["records"])
        if isinstance(result, list):
            return len(result)
        return None

    def effect(self, kind, model, n=1):
        bucket = self.effects.setdefault(kind, {})
        bucket[model] = bucket.get(model, 0) + n

    def allowed(self, uid, model, op):
        """The user's groups allow op on model (ir.model.access)."""
        group = self.users[uid]["group"]
        if group == "admin":
            return True
        return not (model == "res.users" and op != "read") and \
            op in ACL.get(group, {}).get(model, ())

    def check_access(self, uid, model, method, op=None):
        op = op or ("read" if method in READ_METHODS
                    else OPERATION.get(method, "write"))
        if not self.allowed(uid, model, op):
            verbs = {"read": "read", "write": "modify", "create": "create",
                     "unlink": "delete"}
            raise AccessError(
                "You are not allowed to %s '%s' (%s) records.\n\n"
                "This operation is allowed for the following groups:\n"
                "\t- Administration/Settings\n\n"
                "Contact your administrator to request access if necessary."
                % (verbs[op], MODELS[model]["_description"], model))

    # ------------------------------------------------------------ methods

    def run(self, uid, model, method, ids, a, context):
        table = self.records[model]
        for rid in ids:
            if rid not in table:
                raise MissingError(
                    "Record does not exist or has been deleted.\n"
                    "(Record: %s(%s,), User: %d)" % (model, rid, uid))
        if method == "search_read":
            found = self.search(model, a["domain"] or [], a["offset"],
                                a["limit"], a["order"])
            return self.read(model, found, a["fields"])
        if method in ("search", "search_fetch"):
            # search_fetch returns a recordset: call_kw sends its ids
            return self.search(model, a["domain"], a["offset"], a["limit"],
                               a["order"])
        if method == "web_search_read":
            found = self.search(model, a["domain"], a["offset"], a["limit"],
                                a["order"])
            spec = a["specification"] or {}
            return {"length": len(self.search(model, a["domain"], 0, None,
                                              None, count=False)),
                    "records": self.read(model, found, list(spec))}
        if method == "search_count":
            n = len(self.search(model, a["domain"], 0, None, None,
                                count=False))
            limit = sql_limit(a["limit"])
            return min(n, limit) if limit else n
        if method == "read":
            return self.read(model, ids, a["fields"])
        if method == "name_search":
            domain = list(a["domain"] or [])
            if a["name"]:
                domain.append(["name", a["operator"], a["name"]])
            found = self.search(model, domain, 0, a["limit"], None)
            return [[rid, self.display_name(model, rid)] for rid in found]
        if method == "read_group":
            return self.read_group(model, a["domain"], a["fields"],
                                   a["groupby"], a["offset"], a["limit"],
                                   a["lazy"])
        if method == "formatted_read_group":
            return self.formatted_read_group(model, a["domain"],
                                             a["groupby"], a["aggregates"],
                                             a["offset"], a["limit"])
        if method == "web_read_group":
            if self.version < 19:
                groups = self.read_group(model, a["domain"], a["fields"],
                                         a["groupby"], a["offset"],
                                         a["limit"], a["lazy"])
            else:
                groups = self.formatted_read_group(
                    model, a["domain"], a["groupby"],
                    ["__count"] + list(a["aggregates"] or ()), a["offset"],
                    a["limit"])
            return {"groups": groups, "length": self.groups_length}
        if method == "fields_get":
            described = {}
            for f, spec in MODELS[model].items():
                if f.startswith("_") or a["allfields"] and \
                        f not in a["allfields"]:
                    continue
                info = {"type": spec[0], "string": f.replace("_", " ")
                        .title(), "readonly": len(spec) > 2
                        and spec[2] == "computed"}
                if spec[0] in ("many2one", "one2many"):
                    info["relation"] = spec[1]
                if a["attributes"]:
                    info = {k: v for k, v in info.items()
                            if k in a["attributes"]}
                described[f] = info
            return described
        if method == "search_fetch":
            # @api.model, returns a recordset: its ids over RPC
            for f in a["field_names"]:
                if f not in MODELS[model] and f not in ("id",
                                                        "display_name"):
                    raise ValueError("Invalid field %r on model %r"
                                     % (f, model))
            return self.search(model, a["domain"], a["offset"], a["limit"],
                               a["order"])
        if method == "check_access_rights":
            if a["operation"] not in ("read", "write", "create", "unlink"):
                raise ValueError("Invalid access mode")
            if self.allowed(uid, model, a["operation"]):
                return True
            if a["raise_exception"]:
                self.check_access(uid, model, method, a["operation"])
            return False
        if method == "default_get":
            defaults = {"active": True}
            if model == "sale.order":
                defaults["state"] = "draft"
            return {f: v for f, v in defaults.items()
                    if f in a["fields_list"] and f in MODELS[model]}
        if method == "name_create":
            rid = self.create(model, {"name": a["name"]})
            return [rid, self.display_name(model, rid)]
        if method == "create":
            vals_list = a["vals_list"]
            single = isinstance(vals_list, dict)
            if single:
                vals_list = [vals_list]
            if not isinstance(vals_list, list) or not all(
                    isinstance(v, dict) for v in vals_list):
                raise ValidationError("create() expects a dict or a list "
                                      "of dicts")
            if self.faults["validation_error_on_create"] > 0:
                self.faults["validation_error_on_create"] -= 1
                raise ValidationError("The operation cannot be completed: "
                                      "a mandatory field is not set.")
            new = [self.create(model, vals) for vals in vals_list]
            return new[0] if single else new
        if method == "write":
            if not isinstance(a["vals"], dict):
                raise ValueError("write() expects a dict")
            for rid in ids:
                self.write(model, rid, a["vals"])
            return True
        if method == "copy":
            default = a["default"] or {}
            if not isinstance(default, dict):
                raise ValueError("copy() expects a dict as default")
            return [self.copy(model, rid, default) for rid in ids]
        if method == "unlink":
            for rid in ids:
                del table[rid]
                self.effect("deleted", model)
            return True
        if method == "action_confirm":
            for rid in ids:
                self.confirm(rid)
            return True
        if method == "button_validate":
            for rid in ids:
                table[rid]["state"] = "done"
                table[rid]["date_done"] = now_str()
                self.effect("written", model)
            return True
        if method == "context_get":
            return {"lang": "en_US", "tz": "Europe/Brussels", "uid": uid}
        if method == "address_get":
            return {kind: ids[0] if ids else False
                    for kind in (a["adr_pref"] or ["contact"])}
        raise AttributeErr("The method '%s.%s' does not exist"
                           % (model, method))

    def create(self, model, vals):
        fields = MODELS[model]
        plain = {}
        x2many = {}
        for key, value in vals.items():
            spec = fields.get(key)
            if spec is None or key.startswith("_"):
                raise ValueError("Invalid field '%s' on model '%s'"
                                 % (key, model))
            if spec[0] in ("one2many", "many2many"):
                x2many[key] = value
            else:
                plain[key] = field_value(spec, value)
        if model == "sale.order":
            plain.setdefault("state", "draft")
            plain.setdefault("date_order", now_str())
            plain.setdefault("name", "S%05d" % self.next_id[model])
            if "partner_id" not in plain:
                raise ValidationError("The operation cannot be completed: "
                                      "Missing required value for the "
                                      "field 'Customer' (partner_id).")
        if model == "sale.order.line" and "product_id" in plain:
            product = self.records["product.product"].get(
                plain["product_id"])
            if product is None:
                raise MissingError("Record does not exist or has been "
                                   "deleted.\n(Record: product.product(%s,),"
                                   ")" % plain["product_id"])
            plain.setdefault("name", product["name"])
            plain.setdefault("price_unit", product["list_price"])
        rid = self._insert(model, plain)
        self.effect("created", model)
        for key, value in x2many.items():
            self.x2many(model, rid, key, value)
        return rid

    def write(self, model, rid, vals):
        for key, value in vals.items():
            spec = MODELS[model].get(key)
            if spec is None or key.startswith("_"):
                raise ValueError("Invalid field '%s' on model '%s'"
                                 % (key, model))
            if spec[0] in ("one2many", "many2many"):
                self.x2many(model, rid, key, value)
            else:
                self.records[model][rid][key] = field_value(spec, value)
        self.effect("written", model)

    def copy(self, model, rid, default):
        """copy(): copy_data() then create(), default overriding."""
        rec = self.records[model][rid]
        vals = {}
        for field, spec in MODELS[model].items():
            if field.startswith("_") or field in ("name", "state") or \
                    spec[0] == "one2many" or \
                    len(spec) > 2 and spec[2] == "computed":
                continue
            if spec[0] == "many2many":
                vals[field] = [[6, 0, list(rec.get(field) or [])]]
            else:
                vals[field] = rec.get(field, False)
        vals["name"] = "%s (copy)" % rec.get("name", "")
        vals.update(default)
        return self.create(model, vals)

    def x2many(self, model, rid, field, value):
        """An x2many value as _RelationalMulti.write_batch() normalises it
        and write_real() runs it: each command's code is compared with
        ==, as Odoo compares it with the Command members (0.0 and false
        are CREATE, true UPDATE, 6.0 SET); an item that is not a list,
        or a code equal to none of them, is skipped."""
        spec = MODELS[model][field]
        kind, comodel = spec[0], spec[1]
        if value is False or value is None:
            value = [[5, 0, 0]]
        elif isinstance(value, list) and value and \
                not isinstance(value[0], list):
            value = [[6, 0, value]]           # a list of ids sets them
        if not isinstance(value, list):
            raise ValueError("Wrong value for %s.%s: %r"
                             % (model, field, value))
        lines = self.records[comodel]
        rec = self.records[model][rid]

        def existing(line_id):
            (line_id,) = self.browse(comodel, [line_id])
            if line_id not in lines:
                raise MissingError("Record does not exist or has been "
                                   "deleted.\n(Record: %s(%s,))"
                                   % (comodel, line_id))
            return line_id

        def linked():
            if kind == "many2many":
                return list(rec.get(field) or [])
            return [i for i, r in lines.items() if r.get(spec[2]) == rid]

        def link(line_id):
            if kind == "many2many":
                if line_id not in rec[field]:
                    rec[field] = rec[field] + [line_id]
            else:
                lines[line_id][spec[2]] = rid
            self.effect("linked", comodel)

        def unlink(line_id):
            if kind == "many2many":
                rec[field] = [i for i in rec[field] if i != line_id]
            elif lines.get(line_id, {}).get(spec[2]) == rid:
                lines[line_id][spec[2]] = False
            self.effect("unlinked", comodel)

        for command in value:
            if not isinstance(command, list) or not command:
                continue
            code = command[0]
            if code == 0:
                vals = dict(command[2])
                if kind == "one2many":
                    vals[spec[2]] = rid
                new = self.create(comodel, vals)
                if kind == "many2many":
                    link(new)
            elif code == 1:
                self.write(comodel, existing(command[1]), command[2])
            elif code == 2:
                line_id = existing(command[1])
                unlink(line_id)
                del lines[line_id]
                self.effect("deleted", comodel)
            elif code == 3:
                unlink(existing(command[1]))
            elif code == 4:
                link(existing(command[1]))
            elif code == 5:
                for line_id in linked():
                    unlink(line_id)
            elif code == 6:
                wanted = [existing(i) for i in command[2]]
                for line_id in linked():
                    if line_id not in wanted:
                        unlink(line_id)
                for line_id in wanted:
                    link(line_id)

    # ------------------------------------------------------------ groups

    def groups(self, model, domain, groupby, offset, limit):
        """_read_group on the first groupby spec: every record the domain
        matches is read; offset and limit apply to the groups."""
        if isinstance(groupby, str):
            groupby = [groupby]
        if not isinstance(groupby, list) or not groupby:
            raise ValueError("groupby must be a non-empty list")
        spec = groupby[0]
        field, _, granularity = spec.partition(":")
        if field not in MODELS[model] or field.startswith("_"):
            raise ValueError("Invalid field %r on model %r" % (field, model))
        found = self.search(model, domain, 0, None, None, count=False)
        self.effect("read", model, len(found))
        table = self.records[model]
        buckets = {}
        for rid in found:
            raw = self.value(model, table[rid], field, raw=True)
            if raw and granularity:
                raw = str(raw)[:{"year": 4, "month": 7}.get(granularity, 10)]
            if isinstance(raw, list):
                raw = tuple(raw)
            buckets.setdefault(raw, []).append(rid)
        keys = sorted(buckets, key=lambda k: (k is False, str(k)))
        self.groups_length = len(keys)
        keys = keys[int(offset or 0):]
        limit = sql_limit(limit)
        if limit:
            keys = keys[:limit]
        out = []
        for raw in keys:
            value = raw
            if MODELS[model][field][0] == "many2one" and raw:
                value = [raw, self.display_name(MODELS[model][field][1],
                                                raw)]
            out.append((spec, raw, value, buckets[raw]))
        return out

    def aggregate(self, model, ids, name, op):
        values = [self.value(model, self.records[model][rid], name, True)
                  for rid in ids]
        values = [v for v in values if isinstance(v, (int, float))]
        if op == "max":
            return max(values) if values else False
        if op == "min":
            return min(values) if values else False
        return sum(values)

    def read_group(self, model, domain, fields, groupby, offset, limit,
                   lazy):
        out = []
        count = "%s_count" % str(groupby[0] if isinstance(groupby, list)
                                 else groupby).split(":")[0] \
            if lazy else "__count"
        for spec, raw, value, ids in self.groups(model, domain, groupby,
                                                 offset, limit):
            group = {spec: value, count: len(ids),
                     "__domain": list(domain) + [[spec.split(":")[0], "=",
                                                  raw]]}
            for f in fields or []:
                name, _, op = f.partition(":")
                spec_f = MODELS[model].get(name)
                if spec_f and spec_f[0] in ("float", "integer") and \
                        name != spec:
                    group[name] = self.aggregate(model, ids, name,
                                                 op or "sum")
            out.append(group)
        return out

    def formatted_read_group(self, model, domain, groupby, aggregates,
                             offset, limit):
        out = []
        for spec, raw, value, ids in self.groups(model, domain, groupby,
                                                 offset, limit):
            group = {spec: value, "__extra_domain": [[spec.split(":")[0],
                                                      "=", raw]]}
            for agg in aggregates or []:
                if agg == "__count":
                    group[agg] = len(ids)
                    continue
                name, _, op = agg.partition(":")
                if name not in MODELS[model]:
                    raise ValueError("Invalid field %r on model %r"
                                     % (name, model))
                group[agg] = self.aggregate(model, ids, name, op or "sum")
            out.append(group)
        return out

    def confirm(self, rid):
        order = self.records["sale.order"][rid]
        if order["state"] not in ("draft", "sent"):
            raise UserError("Some orders are not in a state requiring "
                            "confirmation.")
        order["state"] = "sale"
        self.effect("written", "sale.order")
        self._insert("stock.picking", {
            "name": "WH/OUT/%05d" % self.next_id["stock.picking"],
            "origin": order["name"], "state": "assigned",
            "picking_type_code": "outgoing",
            "partner_id": order["partner_id"], "sale_id": rid,
            "scheduled_date": now_str(), "date_done": False,
            "carrier_tracking_ref": False})

    # ------------------------------------------------------------ reading

    def computed(self, model, rec, field):
        if model == "product.product":
            quants = [q for q in self.records["stock.quant"].values()
                      if q["product_id"] == rec["id"] and self.records[
                          "stock.location"][q["location_id"]]["usage"]
                      == "internal"]
            qty = sum(q["quantity"] for q in quants)
            reserved = sum(q["reserved_quantity"] for q in quants)
            return {"qty_available": qty, "free_qty": qty - reserved,
                    "virtual_available": qty - reserved}[field]
        if model == "stock.quant":
            return rec["quantity"] - rec["reserved_quantity"]
        if model == "sale.order":
            return round(sum(line["product_uom_qty"] * line["price_unit"]
                             for line in self.records[
                                 "sale.order.line"].values()
                             if line["order_id"] == rec["id"]), 2)
        return False

    def value(self, model, rec, field, raw=False):
        spec = MODELS[model][field]
        if len(spec) > 2 and spec[2] == "computed":
            return self.computed(model, rec, field)
        if spec[0] == "one2many":
            return sorted(i for i, r in self.records[spec[1]].items()
                          if r.get(spec[2]) == rec["id"])
        if spec[0] == "many2many":
            return sorted(rec.get(field) or [])
        value = rec.get(field, False)
        if spec[0] == "many2one" and value and not raw:
            return [value, self.display_name(spec[1], value)]
        return value

    def display_name(self, model, rid):
        rec = self.records.get(model, {}).get(rid)
        if rec is None:
            return "%s,%s" % (model, rid)
        if model == "product.product" and rec.get("default_code"):
            return "[%s] %s" % (rec["default_code"], rec["name"])
        if model == "stock.location":
            return rec["complete_name"]
        return rec.get("name") or "%s,%s" % (model, rid)

    def read(self, model, ids, fields):
        names = fields or [f for f in MODELS[model] if not f.startswith("_")]
        out = []
        for rid in ids:
            rec = self.records[model][rid]
            row = {"id": rid}
            for f in names:
                if f == "display_name":
                    row[f] = self.display_name(model, rid)
                elif f in MODELS[model]:
                    row[f] = self.value(model, rec, f)
                else:
                    raise ValueError("Invalid field '%s' on model '%s'"
                                     % (f, model))
            out.append(row)
        return out

    def search(self, model, domain, offset, limit, order, count=True):
        """_search(): a falsy limit or offset adds no LIMIT or OFFSET
        clause; count records the records read."""
        limit = sql_limit(limit)
        offset = sql_limit(offset, "OFFSET")
        if not isinstance(domain, list):
            raise ValidationError("Invalid domain: %r" % (domain,))
        recs = [r for r in self.records[model].values()
                if r.get("active", True) and self.match(model, r, domain)]
        if order:
            for part in reversed([p.strip() for p in order.split(",")]):
                bits = part.split()
                key = bits[0]
                desc = len(bits) > 1 and bits[1].lower() == "desc"
                recs.sort(key=lambda r, k=key: (r.get(k) is False,
                                                str(r.get(k))),
                          reverse=desc)
        else:
            recs.sort(key=lambda r: r["id"])
        ids = [r["id"] for r in recs]
        ids = ids[offset or 0:]
        if limit:
            ids = ids[:limit]
        if count:
            self.effect("read", model, len(ids))
        return ids

    def match(self, model, rec, domain):
        """Odoo prefix-notation domains: & | ! and leaf triples."""
        stack = []
        for item in reversed(domain):
            if item == "!":
                stack.append(not stack.pop())
            elif item in ("&", "|"):
                a, b = stack.pop(), stack.pop()
                stack.append(a and b if item == "&" else a or b)
            else:
                stack.append(self.leaf(model, rec, item))
        return all(stack)

    def leaf(self, model, rec, leaf):
        if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
            raise ValidationError("Invalid leaf %r" % (leaf,))
        path, op, right = leaf
        left = self.path_value(model, rec, path)
        if op == "=":
            return left == right or (right is False and left in (None, False))
        if op == "!=":
            return left != right
        if op in ("<", "<=", ">", ">="):
            if left is False or left is None:
                return False
            return {"<": left < right, "<=": left <= right,
                    ">": left > right, ">=": left >= right}[op]
        if op == "in":
            return left in right
        if op == "not in":
            return left not in right
        if op in ("like", "ilike", "=like", "=ilike", "not ilike"):
            text = str(left or "")
            pat = str(right)
            if op in ("ilike", "=ilike", "not ilike"):
                text, pat = text.lower(), pat.lower()
            if op in ("like", "ilike", "not ilike"):
                hit = pat.strip("%") in text
                return not hit if op == "not ilike" else hit
            return fnmatch.fnmatchcase(text, pat.replace("%", "*")
                                       .replace("_", "?"))
        raise ValidationError("Invalid operator %r" % (op,))

    def path_value(self, model, rec, path):
        first, _, rest = path.partition(".")
        if first == "id":
            return rec["id"]
        spec = MODELS[model].get(first)
        if spec is None:
            raise ValueError("Invalid field %s.%s in leaf" % (model, first))
        value = self.value(model, rec, first, raw=True)
        if not rest:
            return value
        target = self.records[spec[1]].get(value)
        if target is None:
            return False
        return self.path_value(spec[1], target, rest)


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3.11"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake-odoo: " + fmt % args + "\n")

    @property
    def odoo(self):
        return self.server.odoo

    # ------------------------------------------------------------ plumbing

    def send(self, status, body, ctype="application/json", headers=()):
        if isinstance(body, (dict, list)) or ctype == "application/json":
            data = json.dumps(body, default=json_default).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if self.request_version != "HTTP/1.1":
            # said, so a proxy does not reuse a connection closed after this
            self.send_header("Connection", "close")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def record(self, body):
        with self.odoo.lock:
            self.odoo.requests.append({
                "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_sha256": hashlib.sha256(body).hexdigest(),
                "body_len": len(body),
                "body": body[:65536].decode("utf-8", "replace"),
                "time": time.time()})

    def faults(self):
        """Applies the fault knobs; True when the request is consumed."""
        with self.odoo.lock:
            f = self.odoo.faults
            latency = f["latency_ms"]
            drop = f["drop"] > 0
            fail = not drop and f["fail_500"] > 0
            if drop:
                f["drop"] -= 1
            if fail:
                f["fail_500"] -= 1
        if latency:
            time.sleep(latency / 1000.0)
        if drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fail:
            self.send(500, "<!doctype html><title>500 Internal Server Error"
                      "</title><h1>Internal Server Error</h1>",
                      "text/html; charset=utf-8")
            return True
        return False

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        body = b""
        if self.path.startswith("/__fake_odoo__/"):
            return self.control(body)
        self.record(body)
        if self.faults():
            return
        path = self.route_path()
        if path in ("/web/version", "/json/version"):
            v = self.odoo.version
            return self.send(200, {"version_info": [v, 0, 0, "final", 0, ""],
                                   "version": "%d.0" % v})
        if path.startswith("/json/2") and self.odoo.version >= 19:
            return self.json2_error(WerkzeugError(
                404, "Did you mean POST /json/2/<model>/<method>?"))
        if XMLRPC_PATH.fullmatch(path):
            # routed with methods=["POST"] (and OPTIONS, added by ir.http)
            return self.send(405, "<!doctype html>\n<html lang=en>\n"
                             "<title>405 Method Not Allowed</title>\n"
                             "<h1>Method Not Allowed</h1>\n<p>The method is "
                             "not allowed for the requested URL.</p>\n",
                             "text/html; charset=utf-8",
                             headers=[("Allow", "OPTIONS, POST")])
        return self.not_found()

    def do_POST(self):
        body = self.read_body()
        if self.path.startswith("/__fake_odoo__/"):
            return self.control(body)
        self.record(body)
        if self.faults():
            return
        path = self.route_path()
        if path == "/jsonrpc":
            return self.jsonrpc_route(body, self.jsonrpc)
        if path == "/web/session/authenticate":
            return self.jsonrpc_route(body, self.authenticate)
        if path == "/web/session/destroy":
            return self.jsonrpc_route(body, self.destroy)
        if path.startswith("/web/hook/") and len(path) > len("/web/hook/"):
            # base_automation's webhook controller: any rule, any payload
            return self.send(200, {"status": "ok"})
        if path in ("/web/dataset/call_kw", "/web/dataset/call_button") or \
                path.startswith("/web/dataset/call_kw/"):
            return self.jsonrpc_route(body, self.call_kw)
        if path == "/web/dataset/resequence":
            return self.jsonrpc_route(body, self.resequence)
        m = XMLRPC_PATH.fullmatch(path)
        if m:
            return self.xmlrpc_route(m.group(2), body, m.group(1) is None)
        if path.startswith("/json/2") and self.odoo.version >= 19:
            m = re.fullmatch(r"/json/2/([^/]+)/([^/]+)", path)
            if not m:
                return self.json2_error(WerkzeugError(
                    404, "Did you mean POST /json/2/<model>/<method>?"))
            return self.json2(m.group(1), m.group(2), body)
        return self.not_found()

    do_PUT = do_POST
    do_DELETE = do_POST
    do_PATCH = do_POST

    def route_path(self):
        """The path as werkzeug routes it: PATH_INFO, percent-decoded,
        without the query string (dot segments and repeated slashes are
        kept, so they match no route below)."""
        return urllib.parse.unquote(self.path.split("?")[0])

    def not_found(self):
        self.send(404, "<!doctype html>\n<html lang=en>\n<title>404 Not Found"
                  "</title>\n<h1>Not Found</h1>\n<p>The requested URL was not "
                  "found on the server.</p>\n", "text/html; charset=utf-8")

    # ------------------------------------------------------------ JSON-RPC

    def jsonrpc_route(self, body, handler):
        """JsonRPCDispatcher: envelope, id echo, errors at HTTP 200."""
        try:
            payload = json.loads(body)
        except ValueError:
            return self.send(400, "Invalid JSON data",
                             "text/html; charset=utf-8")
        if not isinstance(payload, dict):
            return self.send(400, "Invalid JSON-RPC data",
                             "text/html; charset=utf-8")
        rid = payload.get("id")
        params = payload.get("params", {})
        headers = []
        try:
            if not isinstance(params, dict):
                raise OdooError("params must be an object")
            result = handler(params, headers)
        except OdooError as e:
            return self.rpc_error(rid, e)
        except Exception as e:
            # serialize_exception(): any exception, named by its class
            return self.rpc_error(rid, ApplicationError(e))
        response = {"jsonrpc": "2.0", "id": rid}
        if result is not None or self.odoo.version >= 19:
            response["result"] = result
        self.send(200, response, headers=headers)

    def rpc_error(self, rid, e):
        self.send(200, {"jsonrpc": "2.0", "id": rid, "error": {
            "code": e.rpc_code, "message": e.rpc_message,
            "data": e.serialize()}})

    def jsonrpc(self, params, headers):
        args = params.get("args", [])
        if not isinstance(args, list):
            raise TypeError("args must be a list")
        return self.rpc("jsonrpc", params.get("service"),
                        params.get("method"), args)

    # ------------------------------------------------------------ RPC

    def rpc(self, protocol, service, method, args):
        """odoo.http.dispatch_rpc(), for /jsonrpc and XML-RPC alike: the
        common, db and object services (an unknown one is a KeyError)."""
        services = {"common": self.rpc_common, "db": self.rpc_db,
                    "object": self.rpc_object}
        if service not in services:
            raise KeyError(service)
        return services[service](protocol, method, list(args))

    def rpc_common(self, protocol, method, args):
        """odoo/service/common.py: exp_<method>(*params), so a wrong
        number of arguments is Python's TypeError; the 18/19 login and
        authenticate answer False for bad credentials, and an unknown db
        fails in Registry(db)."""
        odoo = self.odoo
        with odoo.lock:
            # db and login only: never the password
            odoo.calls.append({"protocol": protocol, "service": "common",
                               "method": method, "args": args[:2],
                               "time": time.time()})

        def exp_version():
            v = odoo.version
            return {"server_version": "%d.0" % v,
                    "server_version_info": [v, 0, 0, "final", 0, ""],
                    "server_serie": "%d.0" % v, "protocol_version": 1}

        def exp_authenticate(db, login, password, user_agent_env):
            # {**user_agent_env, 'interactive': False}: a mapping, or none
            if user_agent_env and not isinstance(user_agent_env, dict):
                raise TypeError("'%s' object is not a mapping"
                                % type(user_agent_env).__name__)
            if db != odoo.db:
                raise ApplicationError(OperationalError(
                    'FATAL:  database "%s" does not exist' % db))
            with odoo.lock:
                return odoo.login(db, login, password)

        def exp_login(db, login, password):
            return exp_authenticate(db, login, password, None)

        def exp_about(extended=False):
            info = "See http://openerp.com"
            return [info, "%d.0" % odoo.version] if extended else info

        def exp_set_loglevel(loglevel, logger=None):
            return True

        exp = {"version": exp_version, "login": exp_login,
               "authenticate": exp_authenticate, "about": exp_about,
               "set_loglevel": exp_set_loglevel}
        for fn in exp.values():
            # module functions in Odoo: "exp_login() missing 1 required..."
            fn.__qualname__ = fn.__name__
        if method not in exp:
            raise ApplicationError(Exception("Method not found: %s"
                                             % method))
        return exp[method](*args)

    def rpc_db(self, protocol, method, args):
        with self.odoo.lock:
            self.odoo.calls.append({"protocol": protocol, "service": "db",
                                    "method": method, "time": time.time()})
        if method == "list":
            return [self.odoo.db]
        if method == "server_version":
            return "%d.0" % self.odoo.version
        raise AccessDenied()

    def rpc_object(self, protocol, method, args):
        """odoo/service/model.py dispatch() (19.0): execute_kw(db, uid,
        password, model, method, args[, kwargs]) and execute(db, uid,
        password, model, method, *args); the password or API key checked
        for that uid before anything runs."""
        if method not in ("execute", "execute_kw"):
            raise NameError("Method not available %s" % method)
        db, uid, passwd, model, meth, *rest = args
        uid = int(uid)
        if not passwd:
            raise AccessDenied()
        if db != self.odoo.db:
            raise ApplicationError(OperationalError(
                'FATAL:  database "%s" does not exist' % db))
        if method == "execute_kw":
            if len(rest) == 1:
                rest.append({})
            call_args, kw = rest
            kw = kw or {}
            if not isinstance(kw, dict):
                raise TypeError("argument after ** must be a mapping, not %s"
                                % type(kw).__name__)
        else:
            call_args, kw = rest, {}
        with self.odoo.lock:
            auth = self.odoo.check_uid_passwd(uid, passwd)
            entry_count = len(self.odoo.calls)
        try:
            return self.odoo.execute(protocol, db, uid, auth, model, meth,
                                     list(call_args), kw)
        finally:
            with self.odoo.lock:
                if len(self.odoo.calls) > entry_count:
                    self.odoo.calls[entry_count]["credential"] = \
                        str(passwd)[:8]

    # ------------------------------------------------------------ XML-RPC

    def xmlrpc_route(self, service, body, legacy):
        """xmlrpc_2 (/xmlrpc/2/<service>) and the legacy xmlrpc_1
        (/xmlrpc/<service>): the body read as Odoo reads it, the result
        marshalled as Odoo marshals it (a None result fails there too),
        any exception a fault, always HTTP 200 text/xml."""
        try:
            params, method = xmlrpc.client.loads(body, use_datetime=True)
            response = xmlrpc_response((self.rpc("xmlrpc", service, method,
                                                 params),))
        except Exception as e:
            response = xmlrpc_response(xmlrpc_fault(e, legacy))
        self.send(200, response, "text/xml; charset=utf-8")

    def authenticate(self, params, headers):
        db, login, password = (params.get(k) for k in ("db", "login",
                                                       "password"))
        if db != self.odoo.db:
            raise AccessError("Database not found.")
        with self.odoo.lock:
            uid = self.odoo.login(db, login, password)
            if not uid:
                raise AccessDenied()
            sid = secrets.token_hex(20)
            self.odoo.sessions[sid] = {"db": db, "uid": uid}
            user = self.odoo.records["res.users"][uid]
        headers.append(("Set-Cookie", "session_id=%s; HttpOnly; Path=/" % sid))
        return {"uid": uid, "is_system": uid == 2, "is_admin": uid == 2,
                "db": db, "name": user["name"], "username": user["login"],
                "partner_id": user["partner_id"],
                "user_context": {"lang": "en_US", "tz": "Europe/Brussels",
                                 "uid": uid},
                "server_version": "%d.0" % self.odoo.version}

    def session(self):
        cookie = self.headers.get("Cookie", "")
        m = re.search(r"(?:^|;\s*)session_id=([^;]+)", cookie)
        if not m:
            return None, None
        return m.group(1), self.odoo.sessions.get(m.group(1))

    def destroy(self, params, headers):
        sid, _ = self.session()
        with self.odoo.lock:
            self.odoo.sessions.pop(sid, None)
        return None

    def call_kw(self, params, headers):
        _, session = self.session()
        if session is None:
            raise SessionExpired()
        header_db = self.headers.get("X-Odoo-Database")
        if header_db and header_db != session["db"]:
            raise WerkzeugError(403, "Cannot use both the session_id cookie "
                                "and the x-odoo-database header.")
        model = params.get("model")
        method = params.get("method")
        if model not in MODELS:
            raise WerkzeugError(404, "The requested URL was not found on the "
                                "server.")
        if not isinstance(method, str):
            raise TypeError("method must be a string")
        return self.odoo.execute("call_kw", session["db"], session["uid"],
                                 "session", model, method,
                                 list(params.get("args") or []),
                                 params.get("kwargs") or {})

    def resequence(self, params, headers):
        """web's DataSet.resequence(model, ids, field='sequence',
        offset=0): writes field = offset + i on each record, on the
        caller's session."""
        _, session = self.session()
        if session is None:
            raise SessionExpired()
        model = params.get("model")
        if model not in MODELS:
            raise KeyError(model)
        field = params.get("field", "sequence")
        offset = params.get("offset", 0)
        ids = params.get("ids") or []
        with self.odoo.lock:
            entry = {"protocol": "resequence", "db": session["db"],
                     "uid": session["uid"], "auth": "session",
                     "model": model, "method": "resequence", "ids": ids,
                     "args": [], "kwargs": {"field": field,
                                            "offset": offset},
                     "context": None, "bound": None, "effects": {},
                     "returned": None, "time": time.time()}
            self.odoo.calls.append(entry)
            self.odoo.effects = entry["effects"]
            if field not in MODELS[model]:
                return False
            self.odoo.check_access(session["uid"], model, "write")
            for i, rid in enumerate(Odoo.browse(model, ids)):
                if rid not in self.odoo.records[model]:
                    raise MissingError("Record does not exist or has been "
                                       "deleted.")
                self.odoo.write(model, rid, {field: i + offset})
        return True

    # ------------------------------------------------------------ JSON-2

    def json2_error(self, e):
        headers = []
        if getattr(e, "www_authenticate", False):
            headers.append(("WWW-Authenticate", "Bearer"))
        self.send(e.http_status, e.serialize(), headers=headers)

    def json2(self, model, method, body):
        try:
            return self.json2_call(model, method, body)
        except OdooError as e:
            return self.json2_error(e)
        except (TypeError, ValueError, KeyError, IndexError) as e:
            err = OdooError(str(e))
            err.name = "builtins." + type(e).__name__
            err.http_status = 500
            return self.json2_error(err)

    def json2_call(self, model, method, body):
        header_db = self.headers.get("X-Odoo-Database")
        _, session = self.session()
        if header_db and session and session["db"] != header_db:
            raise WerkzeugError(403, "Cannot use both the session_id cookie "
                                "and the x-odoo-database header.")
        if header_db and header_db != self.odoo.db:
            return self.not_found()
        ctype = self.headers.get("Content-Type", "")
        if body and ctype.split(";")[0].strip().lower() != "application/json":
            return self.send(415, "<!doctype html><title>415 Unsupported "
                             "Media Type</title>", "text/html; charset=utf-8")
        auth = self.headers.get("Authorization", "")
        m = re.match(r"^bearer\s+(.+)$", auth, re.IGNORECASE)
        if not m:
            # odoo/addons/base/models/ir_http.py _auth_method_bearer (19.0)
            raise WerkzeugError(401, "User not authenticated, use an API "
                                "Key with a Bearer Authorization header.",
                                True)
        key = m.group(1)
        with self.odoo.lock:
            uid = self.odoo.check_key(key)
        if not uid:
            raise WerkzeugError(401, "Invalid apikey", True)
        try:
            params = json.loads(body) if body else {}
        except ValueError as e:
            raise WerkzeugError(400, "could not parse the body as json: %s"
                                % e)
        if not isinstance(params, dict):
            raise WerkzeugError(400, "could not parse the body as json: "
                                "not an object")
        params.pop("model", None)
        params.pop("method", None)
        ids = params.pop("ids", [])
        context = params.pop("context", {})
        if model not in MODELS:
            raise WerkzeugError(404, "the model %r does not exist" % model)
        if method.startswith("_") or method not in SIGNATURES:
            if method.startswith("_"):
                raise AccessError(
                    "Private methods (such as '%s.%s') cannot be called "
                    "remotely." % (model, method))
            raise WerkzeugError(404, "The method '%s.%s' does not exist"
                                % (model, method))
        if method in API_MODEL and ids:
            raise WerkzeugError(422, "cannot call %s.%s with ids"
                                % (model, method))
        try:
            bind(method, ids, [], params, self.odoo.version)
        except TypeError as e:
            raise WerkzeugError(422, str(e))
        params["__context"] = context
        result = self.odoo.execute("json2", self.odoo.db, uid, "apikey",
                                   model, method, [], params, ids=ids)
        with self.odoo.lock:
            self.odoo.calls[-1]["credential"] = key[:8]
        if method == "create" and isinstance(result, int):
            result = [result]
        return self.send(200, result)

    # ------------------------------------------------------------ control

    def control(self, body):
        path = self.path.split("?")[0][len("/__fake_odoo__/"):]
        odoo = self.odoo
        with odoo.lock:
            if path == "calls":
                return self.send(200, odoo.calls)
            if path == "requests":
                return self.send(200, odoo.requests)
            if path == "reset" and self.command == "POST":
                odoo.reset()
                return self.send(200, {"ok": True})
            if path == "faults" and self.command == "POST":
                odoo.faults.update(json.loads(body or b"{}"))
                return self.send(200, odoo.faults)
            if path.startswith("records/"):
                model = path[len("records/"):]
                if model in odoo.records:
                    return self.send(200, list(
                        copy.deepcopy(odoo.records[model]).values()))
        return self.not_found()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a test's burst of concurrent
    # requests would wait out a one-second SYN retransmit
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:8069",
                    help="host:port (port 0 picks a free one)")
    ap.add_argument("--db", default="retail")
    ap.add_argument("--version", type=int, default=19, choices=(17, 18, 19))
    ap.add_argument("--credentials",
                    help="govern_odoo_credentials JSON: a bot user with "
                         "that uid and API key is created per partner")
    ap.add_argument("--port-file", help="write the bound port here")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()

    credentials = {}
    if opts.credentials:
        with open(opts.credentials) as f:
            credentials = json.load(f)

    host, _, port = opts.listen.rpartition(":")
    server = Server((host, int(port)), Handler)
    server.odoo = Odoo(opts.db, opts.version, credentials)
    server.verbose = opts.verbose
    if opts.port_file:
        with open(opts.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(opts.port_file + ".tmp", opts.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
