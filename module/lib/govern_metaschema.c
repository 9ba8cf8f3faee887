
/*
 * govern: the JSON Schema metaschemas, built in so that they resolve by
 * their URIs offline: 2020-12 (the dialect and its vocabularies, the
 * format-assertion one included) and draft-07.  Their text is that of the
 * JSON Schema specification's published metaschemas (json-schema.org),
 * laid out to fit here, under the specification's licence:
 *
 * Copyright (c) 2022 JSON Schema Specification Authors
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are
 * met:
 *
 * 1. Redistributions of source code must retain the above copyright
 *    notice, this list of conditions and the following disclaimer.
 *
 * 2. Redistributions in binary form must reproduce the above copyright
 *    notice, this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 *
 * 3. Neither the name of the copyright holder nor the names of its
 *    contributors may be used to endorse or promote products derived from
 *    this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
 * "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
 * LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
 * PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
 * HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED
 * TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR
 * PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
 * LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
 * NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */


#include <string.h>

#include "govern_schema.h"


/* https://json-schema.org/draft/2020-12/schema */

static const char  govern_metaschema_2020_12_schema[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/core\": true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/applicator\": true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/unevaluated\": true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/validation\": true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/meta-data\": true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/format-annotation\": "
    "true,\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/content\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Core and Validation specifications meta-schema\",\n"
    "  \"allOf\": [\n"
    "    {\"$ref\": \"meta/core\"},\n"
    "    {\"$ref\": \"meta/applicator\"},\n"
    "    {\"$ref\": \"meta/unevaluated\"},\n"
    "    {\"$ref\": \"meta/validation\"},\n"
    "    {\"$ref\": \"meta/meta-data\"},\n"
    "    {\"$ref\": \"meta/format-annotation\"},\n"
    "    {\"$ref\": \"meta/content\"}\n"
    "  ],\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"$comment\": \"This meta-schema also defines keywords that have "
    "appeared in previous drafts in order to prevent incompatible extensions "
    "as they remain in common use.\",\n"
    "  \"properties\": {\n"
    "    \"definitions\": {\n"
    "      \"$comment\": \"\\\"definitions\\\" has been replaced by "
    "\\\"$defs\\\".\",\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$dynamicRef\": \"#meta\"},\n"
    "      \"deprecated\": true,\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"dependencies\": {\n"
    "      \"$comment\": \"\\\"dependencies\\\" has been split and replaced "
    "by \\\"dependentSchemas\\\" and \\\"dependentRequired\\\" in order to "
    "serve their differing semantics.\",\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\n"
    "        \"anyOf\": [\n"
    "          {\"$dynamicRef\": \"#meta\"},\n"
    "          {\"$ref\": \"meta/validation#/$defs/stringArray\"}\n"
    "        ]\n"
    "      },\n"
    "      \"deprecated\": true,\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"$recursiveAnchor\": {\n"
    "      \"$comment\": \"\\\"$recursiveAnchor\\\" has been replaced by "
    "\\\"$dynamicAnchor\\\".\",\n"
    "      \"$ref\": \"meta/core#/$defs/anchorString\",\n"
    "      \"deprecated\": true\n"
    "    },\n"
    "    \"$recursiveRef\": {\n"
    "      \"$comment\": \"\\\"$recursiveRef\\\" has been replaced by "
    "\\\"$dynamicRef\\\".\",\n"
    "      \"$ref\": \"meta/core#/$defs/uriReferenceString\",\n"
    "      \"deprecated\": true\n"
    "    }\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/core */

static const char  govern_metaschema_vocab_core[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/core\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/core\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Core vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"$id\": {\n"
    "      \"$ref\": \"#/$defs/uriReferenceString\",\n"
    "      \"$comment\": \"Non-empty fragments not allowed.\",\n"
    "      \"pattern\": \"^[^#]*#?$\"\n"
    "    },\n"
    "    \"$schema\": {\"$ref\": \"#/$defs/uriString\"},\n"
    "    \"$ref\": {\"$ref\": \"#/$defs/uriReferenceString\"},\n"
    "    \"$anchor\": {\"$ref\": \"#/$defs/anchorString\"},\n"
    "    \"$dynamicRef\": {\"$ref\": \"#/$defs/uriReferenceString\"},\n"
    "    \"$dynamicAnchor\": {\"$ref\": \"#/$defs/anchorString\"},\n"
    "    \"$vocabulary\": {\n"
    "      \"type\": \"object\",\n"
    "      \"propertyNames\": {\"$ref\": \"#/$defs/uriString\"},\n"
    "      \"additionalProperties\": {\"type\": \"boolean\"}\n"
    "    },\n"
    "    \"$comment\": {\"type\": \"string\"},\n"
    "    \"$defs\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$dynamicRef\": \"#meta\"}\n"
    "    }\n"
    "  },\n"
    "  \"$defs\": {\n"
    "    \"anchorString\": {\n"
    "      \"type\": \"string\",\n"
    "      \"pattern\": \"^[A-Za-z_][-A-Za-z0-9._]*$\"\n"
    "    },\n"
    "    \"uriString\": {\"type\": \"string\", \"format\": \"uri\"},\n"
    "    \"uriReferenceString\": {\"type\": \"string\", \"format\": "
    "\"uri-reference\"}\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/applicator */

static const char  govern_metaschema_vocab_applicator[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/applicator\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/applicator\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Applicator vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"prefixItems\": {\"$ref\": \"#/$defs/schemaArray\"},\n"
    "    \"items\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"contains\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"additionalProperties\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"properties\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$dynamicRef\": \"#meta\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"patternProperties\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$dynamicRef\": \"#meta\"},\n"
    "      \"propertyNames\": {\"format\": \"regex\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"dependentSchemas\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$dynamicRef\": \"#meta\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"propertyNames\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"if\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"then\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"else\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"allOf\": {\"$ref\": \"#/$defs/schemaArray\"},\n"
    "    \"anyOf\": {\"$ref\": \"#/$defs/schemaArray\"},\n"
    "    \"oneOf\": {\"$ref\": \"#/$defs/schemaArray\"},\n"
    "    \"not\": {\"$dynamicRef\": \"#meta\"}\n"
    "  },\n"
    "  \"$defs\": {\n"
    "    \"schemaArray\": {\n"
    "      \"type\": \"array\",\n"
    "      \"minItems\": 1,\n"
    "      \"items\": {\"$dynamicRef\": \"#meta\"}\n"
    "    }\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/unevaluated */

static const char  govern_metaschema_vocab_unevaluated[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/unevaluated\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/unevaluated\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Unevaluated applicator vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"unevaluatedItems\": {\"$dynamicRef\": \"#meta\"},\n"
    "    \"unevaluatedProperties\": {\"$dynamicRef\": \"#meta\"}\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/validation */

static const char  govern_metaschema_vocab_validation[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/validation\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/validation\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Validation vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"type\": {\n"
    "      \"anyOf\": [\n"
    "        {\"$ref\": \"#/$defs/simpleTypes\"},\n"
    "        {\n"
    "          \"type\": \"array\",\n"
    "          \"items\": {\"$ref\": \"#/$defs/simpleTypes\"},\n"
    "          \"minItems\": 1,\n"
    "          \"uniqueItems\": true\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    \"const\": true,\n"
    "    \"enum\": {\"type\": \"array\", \"items\": true},\n"
    "    \"multipleOf\": {\"type\": \"number\", \"exclusiveMinimum\": 0},\n"
    "    \"maximum\": {\"type\": \"number\"},\n"
    "    \"exclusiveMaximum\": {\"type\": \"number\"},\n"
    "    \"minimum\": {\"type\": \"number\"},\n"
    "    \"exclusiveMinimum\": {\"type\": \"number\"},\n"
    "    \"maxLength\": {\"$ref\": \"#/$defs/nonNegativeInteger\"},\n"
    "    \"minLength\": {\"$ref\": \"#/$defs/nonNegativeIntegerDefault0\"},\n"
    "    \"pattern\": {\"type\": \"string\", \"format\": \"regex\"},\n"
    "    \"maxItems\": {\"$ref\": \"#/$defs/nonNegativeInteger\"},\n"
    "    \"minItems\": {\"$ref\": \"#/$defs/nonNegativeIntegerDefault0\"},\n"
    "    \"uniqueItems\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"maxContains\": {\"$ref\": \"#/$defs/nonNegativeInteger\"},\n"
    "    \"minContains\": {\"$ref\": \"#/$defs/nonNegativeInteger\", "
    "\"default\": 1},\n"
    "    \"maxProperties\": {\"$ref\": \"#/$defs/nonNegativeInteger\"},\n"
    "    \"minProperties\": {\"$ref\": "
    "\"#/$defs/nonNegativeIntegerDefault0\"},\n"
    "    \"required\": {\"$ref\": \"#/$defs/stringArray\"},\n"
    "    \"dependentRequired\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$ref\": \"#/$defs/stringArray\"}\n"
    "    }\n"
    "  },\n"
    "  \"$defs\": {\n"
    "    \"nonNegativeInteger\": {\"type\": \"integer\", \"minimum\": 0},\n"
    "    \"nonNegativeIntegerDefault0\": {\"$ref\": "
    "\"#/$defs/nonNegativeInteger\", \"default\": 0},\n"
    "    \"simpleTypes\": {\n"
    "      \"enum\": [\n"
    "        \"array\",\n"
    "        \"boolean\",\n"
    "        \"integer\",\n"
    "        \"null\",\n"
    "        \"number\",\n"
    "        \"object\",\n"
    "        \"string\"\n"
    "      ]\n"
    "    },\n"
    "    \"stringArray\": {\n"
    "      \"type\": \"array\",\n"
    "      \"items\": {\"type\": \"string\"},\n"
    "      \"uniqueItems\": true,\n"
    "      \"default\": []\n"
    "    }\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/meta-data */

static const char  govern_metaschema_vocab_meta_data[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/meta-data\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/meta-data\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Meta-data vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"title\": {\"type\": \"string\"},\n"
    "    \"description\": {\"type\": \"string\"},\n"
    "    \"default\": true,\n"
    "    \"deprecated\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"readOnly\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"writeOnly\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"examples\": {\"type\": \"array\", \"items\": true}\n"
    "  }\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/format-annotation */

static const char  govern_metaschema_vocab_format_annotation[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/format-annotation"
    "\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/format-annotation\": "
    "true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Format vocabulary meta-schema for annotation results\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\"format\": {\"type\": \"string\"}}\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/format-assertion */

static const char  govern_metaschema_vocab_format_assertion[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/format-assertion"
    "\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/format-assertion\": "
    "true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Format vocabulary meta-schema for assertion results\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\"format\": {\"type\": \"string\"}}\n"
    "}\n";


/* https://json-schema.org/draft/2020-12/meta/content */

static const char  govern_metaschema_vocab_content[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"$id\": \"https://json-schema.org/draft/2020-12/meta/content\",\n"
    "  \"$vocabulary\": {\n"
    "    \"https://json-schema.org/draft/2020-12/vocab/content\": true\n"
    "  },\n"
    "  \"$dynamicAnchor\": \"meta\",\n"
    "  \"title\": \"Content vocabulary meta-schema\",\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"contentEncoding\": {\"type\": \"string\"},\n"
    "    \"contentMediaType\": {\"type\": \"string\"},\n"
    "    \"contentSchema\": {\"$dynamicRef\": \"#meta\"}\n"
    "  }\n"
    "}\n";


/* http://json-schema.org/draft-07/schema# */

static const char  govern_metaschema_draft_07_schema[] =
    "{\n"
    "  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"
    "  \"$id\": \"http://json-schema.org/draft-07/schema#\",\n"
    "  \"title\": \"Core schema meta-schema\",\n"
    "  \"definitions\": {\n"
    "    \"schemaArray\": {\n"
    "      \"type\": \"array\",\n"
    "      \"minItems\": 1,\n"
    "      \"items\": {\"$ref\": \"#\"}\n"
    "    },\n"
    "    \"nonNegativeInteger\": {\"type\": \"integer\", \"minimum\": 0},\n"
    "    \"nonNegativeIntegerDefault0\": {\n"
    "      \"allOf\": [\n"
    "        {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
    "        {\"default\": 0}\n"
    "      ]\n"
    "    },\n"
    "    \"simpleTypes\": {\n"
    "      \"enum\": [\n"
    "        \"array\",\n"
    "        \"boolean\",\n"
    "        \"integer\",\n"
    "        \"null\",\n"
    "        \"number\",\n"
    "        \"object\",\n"
    "        \"string\"\n"
    "      ]\n"
    "    },\n"
    "    \"stringArray\": {\n"
    "      \"type\": \"array\",\n"
    "      \"items\": {\"type\": \"string\"},\n"
    "      \"uniqueItems\": true,\n"
    "      \"default\": []\n"
    "    }\n"
    "  },\n"
    "  \"type\": [\"object\", \"boolean\"],\n"
    "  \"properties\": {\n"
    "    \"$id\": {\"type\": \"string\", \"format\": \"uri-reference\"},\n"
    "    \"$schema\": {\"type\": \"string\", \"format\": \"uri\"},\n"
    "    \"$ref\": {\"type\": \"string\", \"format\": \"uri-reference\"},\n"
    "    \"$comment\": {\"type\": \"string\"},\n"
    "    \"title\": {\"type\": \"string\"},\n"
    "    \"description\": {\"type\": \"string\"},\n"
    "    \"default\": true,\n"
    "    \"readOnly\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"examples\": {\"type\": \"array\", \"items\": true},\n"
    "    \"multipleOf\": {\"type\": \"number\", \"exclusiveMinimum\": 0},\n"
    "    \"maximum\": {\"type\": \"number\"},\n"
    "    \"exclusiveMaximum\": {\"type\": \"number\"},\n"
    "    \"minimum\": {\"type\": \"number\"},\n"
    "    \"exclusiveMinimum\": {\"type\": \"number\"},\n"
    "    \"maxLength\": {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
    "    \"minLength\": {\"$ref\": "
    "\"#/definitions/nonNegativeIntegerDefault0\"},\n"
    "    \"pattern\": {\"type\": \"string\", \"format\": \"regex\"},\n"
    "    \"additionalItems\": {\"$ref\": \"#\"},\n"
    "    \"items\": {\n"
    "      \"anyOf\": [\n"
    "        {\"$ref\": \"#\"},\n"
    "        {\"$ref\": \"#/definitions/schemaArray\"}\n"
    "      ],\n"
    "      \"default\": true\n"
    "    },\n"
    "    \"maxItems\": {\"$ref\": \"#/definitions/nonNegativeInteger\"},\n"
    "    \"minItems\": {\"$ref\": "
    "\"#/definitions/nonNegativeIntegerDefault0\"},\n"
    "    \"uniqueItems\": {\"type\": \"boolean\", \"default\": false},\n"
    "    \"contains\": {\"$ref\": \"#\"},\n"
    "    \"maxProperties\": {\"$ref\": "
    "\"#/definitions/nonNegativeInteger\"},\n"
    "    \"minProperties\": {\"$ref\": "
    "\"#/definitions/nonNegativeIntegerDefault0\"},\n"
    "    \"required\": {\"$ref\": \"#/definitions/stringArray\"},\n"
    "    \"additionalProperties\": {\"$ref\": \"#\"},\n"
    "    \"definitions\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$ref\": \"#\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"properties\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$ref\": \"#\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"patternProperties\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\"$ref\": \"#\"},\n"
    "      \"propertyNames\": {\"format\": \"regex\"},\n"
    "      \"default\": {}\n"
    "    },\n"
    "    \"dependencies\": {\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": {\n"
    "        \"anyOf\": [\n"
    "          {\"$ref\": \"#\"},\n"
    "          {\"$ref\": \"#/definitions/stringArray\"}\n"
    "        ]\n"
    "      }\n"
    "    },\n"
    "    \"propertyNames\": {\"$ref\": \"#\"},\n"
    "    \"const\": true,\n"
    "    \"enum\": {\"type\": \"array\", \"items\": true},\n"
    "    \"type\": {\n"
    "      \"anyOf\": [\n"
    "        {\"$ref\": \"#/definitions/simpleTypes\"},\n"
    "        {\n"
    "          \"type\": \"array\",\n"
    "          \"items\": {\"$ref\": \"#/definitions/simpleTypes\"},\n"
    "          \"minItems\": 1,\n"
    "          \"uniqueItems\": true\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    \"format\": {\"type\": \"string\"},\n"
    "    \"contentMediaType\": {\"type\": \"string\"},\n"
    "    \"contentEncoding\": {\"type\": \"string\"},\n"
    "    \"if\": {\"$ref\": \"#\"},\n"
    "    \"then\": {\"$ref\": \"#\"},\n"
    "    \"else\": {\"$ref\": \"#\"},\n"
    "    \"allOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
    "    \"anyOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
    "    \"oneOf\": {\"$ref\": \"#/definitions/schemaArray\"},\n"
    "    \"not\": {\"$ref\": \"#\"}\n"
    "  },\n"
    "  \"default\": true\n"
    "}\n";

static const struct {
    const char  *uri;           /* its "$id", without the empty fragment */
    const char  *text;
} govern_metaschemas[] = {
    { "https://json-schema.org/draft/2020-12/schema",
      govern_metaschema_2020_12_schema },
    { "https://json-schema.org/draft/2020-12/meta/core",
      govern_metaschema_vocab_core },
    { "https://json-schema.org/draft/2020-12/meta/applicator",
      govern_metaschema_vocab_applicator },
    { "https://json-schema.org/draft/2020-12/meta/unevaluated",
      govern_metaschema_vocab_unevaluated },
    { "https://json-schema.org/draft/2020-12/meta/validation",
      govern_metaschema_vocab_validation },
    { "https://json-schema.org/draft/2020-12/meta/meta-data",
      govern_metaschema_vocab_meta_data },
    { "https://json-schema.org/draft/2020-12/meta/format-annotation",
      govern_metaschema_vocab_format_annotation },
    { "https://json-schema.org/draft/2020-12/meta/format-assertion",
      govern_metaschema_vocab_format_assertion },
    { "https://json-schema.org/draft/2020-12/meta/content",
      govern_metaschema_vocab_content },
    { "http://json-schema.org/draft-07/schema",
      govern_metaschema_draft_07_schema },
    { NULL, NULL }
};


/* the metaschema document at uri (no fragment), a new reference, or NULL */

json_t *
govern_metaschema_load(const char *uri)
{
    size_t  i;

    for (i = 0; govern_metaschemas[i].uri; i++) {
        if (strcmp(govern_metaschemas[i].uri, uri) == 0) {
            return json_loads(govern_metaschemas[i].text, 0, NULL);
        }
    }

    return NULL;
}
