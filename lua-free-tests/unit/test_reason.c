/* Unit tests: the reason -> status table of DESIGN section 4. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_reason.h"


static void
test_design_table(void **state)
{
    static const struct {
        const char  *code;
        int          status;
    } design[] = {
        { "token_missing", 401 }, { "token_malformed", 401 },
        { "token_alg", 401 }, { "token_signature", 401 },
        { "token_expired", 401 }, { "token_not_yet_valid", 401 },
        { "token_issuer", 401 }, { "token_audience", 401 },
        { "token_partner", 401 },
        { "scope_missing", 403 }, { "odoo_denied", 403 },
        { "rate_limited", 429 }, { "ratelimit_unavailable", 503 },
        { "body_too_large", 413 }, { "content_type", 415 },
        { "json_malformed", 400 }, { "odoo_malformed", 400 },
        { "schema_invalid", 422 }, { "idempotency_mismatch", 422 },
        { "idempotency_conflict", 409 }, { "version_sunset", 410 },
        { "audit_unavailable", 503 },
        { "webhook_signature", 403 }, { "webhook_timestamp", 400 },
        { "webhook_malformed", 400 }, { "webhook_duplicate", 200 },
        { "webhook_conflict", 409 }, { "webhook_unavailable", 503 },
    };

    size_t                           i;
    govern_reason_e                  r;
    const govern_reason_t           *info;

    for (i = 0; i < sizeof(design) / sizeof(design[0]); i++) {
        r = govern_reason_by_code(design[i].code,
                                  strlen(design[i].code));
        assert_int_not_equal(r, GOVERN_REASON_NONE);

        info = govern_reason(r);
        assert_string_equal(info->code, design[i].code);
        assert_int_equal(info->code_len, strlen(design[i].code));
        assert_int_equal(info->status, design[i].status);
        assert_int_equal(info->title_len, strlen(info->title));
        assert_true(info->title_len > 0);
    }
}


static void
test_every_reason_complete(void **state)
{
    int                              r;
    const govern_reason_t           *info;

    for (r = 1; r < GOVERN_REASON_LAST; r++) {
        info = govern_reason((govern_reason_e) r);

        /* the one reason that is not a refusal: recorded, answered 200 */
        if (r == GOVERN_REASON_WEBHOOK_DUPLICATE) {
            assert_int_equal(info->status, 200);

        } else {
            assert_true(info->status >= 400 && info->status <= 599);
        }

        assert_int_equal(govern_reason_by_code(info->code,
                                               info->code_len), r);
    }
}


static void
test_out_of_range(void **state)
{
    assert_string_equal(
        govern_reason(GOVERN_REASON_LAST)->code,
        "internal_error");
    assert_int_equal(govern_reason_by_code("nope", 4),
                     GOVERN_REASON_NONE);
}


/* one class per reason, as DESIGN section 4 reads them for Odoo routes */
static void
test_classes(void **state)
{
    static const struct {
        const char             *code;
        govern_reason_class_e   cls;
    } design[] = {
        { "token_missing", GOVERN_REASON_CLASS_IDENTITY },
        { "token_signature", GOVERN_REASON_CLASS_IDENTITY },
        { "token_partner", GOVERN_REASON_CLASS_IDENTITY },
        { "token_revoked", GOVERN_REASON_CLASS_IDENTITY },
        { "scope_missing", GOVERN_REASON_CLASS_DENIED },
        { "odoo_denied", GOVERN_REASON_CLASS_DENIED },
        { "partner_blocked", GOVERN_REASON_CLASS_DENIED },
        { "json_malformed", GOVERN_REASON_CLASS_MALFORMED },
        { "odoo_malformed", GOVERN_REASON_CLASS_MALFORMED },
        { "content_type", GOVERN_REASON_CLASS_MALFORMED },
        { "body_too_large", GOVERN_REASON_CLASS_MALFORMED },
        { "schema_invalid", GOVERN_REASON_CLASS_INVALID },
        { "idempotency_mismatch", GOVERN_REASON_CLASS_INVALID },
        { "rate_limited", GOVERN_REASON_CLASS_OTHER },
        { "keys_unavailable", GOVERN_REASON_CLASS_OTHER },
        { "internal_error", GOVERN_REASON_CLASS_OTHER },
        { "webhook_signature", GOVERN_REASON_CLASS_IDENTITY },
        { "webhook_timestamp", GOVERN_REASON_CLASS_MALFORMED },
        { "webhook_malformed", GOVERN_REASON_CLASS_MALFORMED },
        { "webhook_conflict", GOVERN_REASON_CLASS_OTHER },
    };

    size_t  i;
    int     r;

    for (i = 0; i < sizeof(design) / sizeof(design[0]); i++) {
        assert_int_equal(govern_reason_class(govern_reason_by_code(
                             design[i].code, strlen(design[i].code))),
                         design[i].cls);
    }

    /* every 401 is an identity refusal (a webhook's signature is one too) */
    for (r = 1; r < GOVERN_REASON_LAST; r++) {
        if (govern_reason((govern_reason_e) r)->status == 401) {
            assert_int_equal(govern_reason_class((govern_reason_e) r),
                             GOVERN_REASON_CLASS_IDENTITY);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_design_table),
        cmocka_unit_test(test_every_reason_complete),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_classes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
