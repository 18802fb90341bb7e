//! The OpenAPI 3.1 document of every REST dialect route, served at
//! `GET /openapi.json` (no credentials).
//!
//! Written by hand, in one place, rather than derived (utoipa): the dialects
//! read loosely typed vendor input through custom deserializers (`Param`,
//! number-or-string integers, `Reader` over JSON *and* XML, operations
//! dispatched on a body field) and render several bodies as `serde_json`
//! values, so derived schemas would describe the Rust types, not the wire.
//! Two tests keep it true: `tests/api/openapi.rs` checks that every route of
//! the routers (and every method they serve) is documented, and runs
//! schemathesis against the document and a live server (response shapes,
//! status codes, no 5xx).

use std::sync::LazyLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Where the document is served.
pub const PATH: &str = "/openapi.json";

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    static BODY: LazyLock<String> = LazyLock::new(|| document().to_string());
    ([(CONTENT_TYPE, "application/json")], BODY.as_str()).into_response()
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    genesys(&mut paths);
    cometd(&mut paths);
    hubgets(&mut paths);
    salesforce(&mut paths);
    vcita(&mut paths);
    paths.insert(
        PATH.to_owned(),
        json!({"get": {
            "operationId": "getOpenApiDocument",
            "tags": ["meta"],
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard REST dialects",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every vendor REST dialect Switchboard serves on its one port: Genesys Web Services UCS \
                and interaction history (with CometD notifications), Hubgets / VoipNow UnifiedAPI v5 PhoneCalls, \
                Salesforce Service Cloud Voice Telephony Integration, and vcita v3 voice calls. Each dialect keeps \
                its vendor's error envelope. gRPC (`proto/switchboard/v1`) is served on the same port and is not \
                described here. See docs/dialects.md."
        },
        "tags": [
            {"name": "genesys", "description": "Genesys Web Services 8.5 UCS and Interaction History"},
            {"name": "cometd", "description": "Genesys CometD (Bayeux 1.0, long-polling) notifications"},
            {"name": "hubgets", "description": "Hubgets / VoipNow UnifiedAPI v5 PhoneCalls"},
            {"name": "salesforce", "description": "Salesforce Service Cloud Voice Telephony Integration REST API"},
            {"name": "vcita", "description": "vcita (inTandem) Developer API v3 voice calls"},
            {"name": "meta", "description": "This document"}
        ],
        "paths": paths,
        "components": {
            "securitySchemes": security_schemes(),
            "schemas": schemas(),
        }
    })
}

fn security_schemes() -> Value {
    json!({
        "switchboardToken": {
            "type": "http", "scheme": "bearer",
            "description": "A Switchboard API token (`swb_…`, from `switchboard tokens create`). A Salesforce call-centre \
                JWT is accepted wherever this is."
        },
        "genesysBasic": {
            "type": "http", "scheme": "basic",
            "description": "Genesys: any user name, the Switchboard token as the password. Writes also need genesysCsrf."
        },
        "genesysCsrf": {
            "type": "apiKey", "in": "header", "name": "X-CSRF-TOKEN",
            "description": "The CSRF token every successful Genesys GET returns in `X-CSRF-TOKEN` (bound to the \
                credential). Required on Basic-authenticated writes, else 403 `Missing or invalid Csrf token`."
        },
        "hubgetsXsrfCookie": {
            "type": "apiKey", "in": "cookie", "name": "xsrf-token",
            "description": "UnifiedAPI double submit: the Switchboard token as cookie `xsrf-token`, together with the \
                same value in header `x-xsrf-token` (hubgetsXsrfHeader)."
        },
        "hubgetsXsrfHeader": {
            "type": "apiKey", "in": "header", "name": "x-xsrf-token",
            "description": "The header half of the UnifiedAPI double submit (equal to cookie `xsrf-token`)."
        },
        "salesforceJwt": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A call-centre JWT (RS256, or HS256 for development) whose `sub` names a configured call \
                centre (`switchboard call-centers add`); `exp` required."
        }
    })
}

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// A response with a JSON body.
fn body(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": json_content(schema)})
}

fn no_content(description: &str) -> Value {
    json!({"description": description})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn with_pattern(mut parameter: Value, pattern: &str) -> Value {
    parameter["schema"]["pattern"] = json!(pattern);
    parameter
}

fn with_examples(mut parameter: Value, examples: Value) -> Value {
    parameter["schema"]["examples"] = examples;
    parameter
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// The error responses of a dialect: `statuses` (HTTP) with the dialect's
/// envelope.
fn errors(dialect: Dialect, statuses: &[u16]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|&status| (status.to_string(), dialect.error(status)))
        .collect()
}

#[derive(Clone, Copy)]
enum Dialect {
    Genesys,
    Hubgets,
    Salesforce,
    Vcita,
}

impl Dialect {
    fn error(self, status: u16) -> Value {
        let description = match status {
            400 => "Invalid request",
            401 => "Missing or invalid credentials",
            403 => "Not permitted",
            404 => "Not found",
            409 => "Conflict with the current state",
            413 => "Request body over the server's limit",
            415 => "Unsupported body media type",
            429 => "Too many requests (the core's limit, or the server-wide load shedder)",
            500 => "Unexpected server error",
            501 => "Not implemented by this server",
            503 => "Temporarily unavailable",
            504 => "Timed out",
            _ => "Error",
        };
        let envelope = match self {
            Dialect::Genesys => "GenesysFailure",
            Dialect::Hubgets => "HubgetsError",
            Dialect::Salesforce => "SalesforceErrors",
            Dialect::Vcita => "VcitaError",
        };
        let schema = if status == 429 && !matches!(self, Dialect::Hubgets) {
            // The REST load shedder answers before any dialect runs, with the
            // server's own envelope (the Hubgets shape).
            json!({"anyOf": [schema_ref(envelope), schema_ref("ServerOverloaded")]})
        } else {
            schema_ref(envelope)
        };
        let mut content = json_content(schema).as_object().cloned().unwrap_or_default();
        if matches!(self, Dialect::Genesys) && status == 403 {
            content.insert(
                "text/plain".to_owned(),
                json!({"schema": {"type": "string", "const": "Missing or invalid Csrf token"}}),
            );
        }
        json!({"description": description, "content": content})
    }
}

/// `responses` from success entries plus dialect errors.
fn responses(success: &[(&str, Value)], errors: Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (status, response) in success {
        out.insert((*status).to_owned(), response.clone());
    }
    out.extend(errors);
    Value::Object(out)
}

// ---------------------------------------------------------------------------
// Genesys
// ---------------------------------------------------------------------------

const GENESYS_ERRORS: &[u16] = &[400, 401, 403, 404, 409, 413, 429, 500, 503];

fn genesys_read_security() -> Value {
    json!([{"switchboardToken": []}, {"genesysBasic": []}])
}

fn genesys_write_security() -> Value {
    json!([{"switchboardToken": []}, {"genesysBasic": [], "genesysCsrf": []}])
}

fn csrf_headers() -> Value {
    json!({
        "X-CSRF-HEADER": {"description": "The name of the CSRF request header", "schema": {"type": "string", "const": "X-CSRF-TOKEN"}},
        "X-CSRF-TOKEN": {"description": "The CSRF token to echo on Basic-authenticated writes", "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
    })
}

fn genesys_operation(id: &str, summary: &str, operations: &[&str], params: Vec<Value>) -> Value {
    let bodies: Vec<Value> = operations
        .iter()
        .map(|o| schema_ref(&format!("Genesys{o}")))
        .collect();
    let request = if bodies.len() == 1 {
        bodies[0].clone()
    } else {
        json!({"oneOf": bodies, "discriminator": {"propertyName": "operationName"}})
    };
    json!({
        "operationId": id,
        "tags": ["genesys"],
        "summary": summary,
        "description": format!(
            "The body's `operationName` selects the operation ({}). The result is also published on the caller's \
             CometD channel `/v2/me/ucs` with the same `referenceId`. Missing `operationName`: statusCode 1; another \
             one: statusCode 2.",
            operations.join(", ")
        ),
        "security": genesys_write_security(),
        "parameters": params,
        "requestBody": {"required": true, "content": json_content(request)},
        "responses": responses(
            &[("200", body("Accepted; the result follows as a notification", schema_ref("GenesysAccepted")))],
            errors(Dialect::Genesys, GENESYS_ERRORS),
        )
    })
}

/// An interaction id (16 letters and digits; anything else is not found).
fn interaction_id() -> Value {
    with_pattern(path_param("id", "The interaction id"), "^[A-Za-z0-9]{16}$")
}

fn genesys_get(id: &str) -> Value {
    json!({
        "operationId": id,
        "tags": ["genesys"],
        "summary": "Get an interaction history resource",
        "security": genesys_read_security(),
        "parameters": [interaction_id()],
        "responses": responses(
            &[("200", json!({
                "description": "The interaction",
                "headers": csrf_headers(),
                "content": json_content(schema_ref("GenesysSingleInteraction"))
            }))],
            errors(Dialect::Genesys, GENESYS_ERRORS),
        )
    })
}

fn genesys(paths: &mut Map<String, Value>) {
    let date = "`yyyy-MM-dd`, RFC 3339, or `yyyy-MM-dd HH:mm:ss.SSS+hhmm`";
    paths.insert(
        "/api/v2/ucs/interactions".to_owned(),
        json!({
            "get": {
                "operationId": "genesysListInteractions",
                "tags": ["genesys"],
                "summary": "List interaction history resources",
                "security": genesys_read_security(),
                "parameters": [
                    query_param("mediaType", "One media type, or several comma-separated", json!({"type": "string"})),
                    query_param("fromDate", date, json!({"type": "string"})),
                    query_param("toDate", &format!("{date}; a day includes that whole day"), json!({"type": "string"})),
                    query_param("userId", "The owner", json!({"type": "string"})),
                    query_param("contactId", "The contact", json!({"type": "string"})),
                    query_param("sort", "By start date (default desc)", json!({"type": "string", "enum": ["asc", "desc"]})),
                    query_param("offset", "Results to skip (default 0)", json!({"type": "integer", "minimum": 0})),
                    query_param("limit", "Page size (default 100)", json!({"type": "integer", "minimum": 1, "maximum": 1000}))
                ],
                "responses": responses(
                    &[("200", json!({
                        "description": "A page of interactions",
                        "headers": csrf_headers(),
                        "content": json_content(schema_ref("GenesysInteractionCollection"))
                    }))],
                    errors(Dialect::Genesys, GENESYS_ERRORS),
                )
            },
            "post": genesys_operation(
                "genesysOperateOnInteractions",
                "FindPhoneCall, RetrieveInteractionHistory, RetrieveAgentHistory",
                &["FindPhoneCall", "RetrieveInteractionHistory", "RetrieveAgentHistory"],
                vec![],
            )
        }),
    );
    paths.insert(
        "/api/v2/ucs/interactions/{id}".to_owned(),
        json!({
            "get": genesys_get("genesysGetUcsInteraction"),
            "post": genesys_operation(
                "genesysOperateOnInteraction",
                "SetCallCompleted, SetCallNote, SetCallContact",
                &["SetCallCompleted", "SetCallNote", "SetCallContact"],
                vec![interaction_id()],
            )
        }),
    );
    paths.insert(
        "/api/v2/interactions/{id}".to_owned(),
        json!({"get": genesys_get("genesysGetInteraction")}),
    );
    paths.insert(
        "/api/v2/ucs/contacts/{id}/interactions".to_owned(),
        json!({
            "post": genesys_operation(
                "genesysRetrieveContactHistory",
                "RetrieveContactHistory",
                &["RetrieveContactHistory"],
                vec![path_param("id", "The contact id")],
            )
        }),
    );
}

fn genesys_schemas(s: &mut Map<String, Value>) {
    let user_data = json!({"type": "object", "description": "Attached data (any JSON object)"});
    let integer = json!({"description": "A whole number, or a string of digits",
        "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^\\s*[+-]?[0-9]{1,15}\\s*$"}]});
    let op = |name: &str| json!({"type": "string", "const": name});
    s.insert(
        "GenesysFailure".into(),
        json!({
            "type": "object",
            "description": "Every Genesys error: statusCode 1 (missing parameter), 2 (not valid in the current state), \
                4 (internal), 5 (no permission), 6 (not found), 9 (incomplete), 10 (validation), 18 (exists), \
                19 (in use), 20 (not authenticated).",
            "required": ["statusCode", "statusMessage"],
            "additionalProperties": false,
            "properties": {
                "statusCode": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6, 9, 10, 18, 19, 20]},
                "statusMessage": {"type": "string"}
            }
        }),
    );
    s.insert(
        "GenesysAccepted".into(),
        json!({
            "type": "object",
            "required": ["statusCode", "referenceId"],
            "additionalProperties": false,
            "properties": {
                "statusCode": {"type": "integer", "const": 0},
                "referenceId": {"type": "integer", "description": "Correlates the CometD notification"},
                "referendeId": {"type": "integer", "description": "SetCallNote only: the documented (misspelt) key, same value"}
            }
        }),
    );
    s.insert(
        "GenesysInteractionCollection".into(),
        json!({
            "type": "object",
            "required": ["statusCode", "interactions", "totalCount"],
            "additionalProperties": false,
            "properties": {
                "statusCode": {"type": "integer", "const": 0},
                "interactions": {"type": "array", "items": schema_ref("GenesysInteraction")},
                "totalCount": {"type": "integer", "minimum": 0}
            }
        }),
    );
    s.insert(
        "GenesysSingleInteraction".into(),
        json!({
            "type": "object",
            "required": ["statusCode", "interaction"],
            "additionalProperties": false,
            "properties": {
                "statusCode": {"type": "integer", "const": 0},
                "interaction": schema_ref("GenesysInteraction")
            }
        }),
    );
    let date = json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}[+-]\\d{4}$"});
    s.insert(
        "GenesysInteraction".into(),
        json!({
            "type": "object",
            "description": "The interaction history resource (seed 002). Absent values are left out.",
            "required": ["uri", "id", "path"],
            "additionalProperties": false,
            "properties": {
                "uri": {"type": "string"},
                "id": {"type": "string"},
                "path": {"type": "string"},
                "mediaType": {"type": "string", "enum": ["call", "chat", "email", "facebook", "facebooksession", "smssession", "openmedia", "twitter", "workitem"]},
                "typeId": {"type": "string", "enum": ["Unknown", "Internal", "Inbound", "Outbound", "Consult"]},
                "state": {"type": "string", "enum": ["New", "Pending", "InProcess", "Stopped"]},
                "startDate": date,
                "endDate": date,
                "subject": {"type": "string"},
                "contactId": {"type": "string"},
                "parentId": {"type": "string"},
                "comment": {"type": "string"},
                "customAttributes": {"type": "object", "additionalProperties": {"type": "string"}},
                "phoneNumber": {"type": "string"},
                "callDuration": {"type": "integer"},
                "userData": {"type": "object"},
                "ownerInformation": {
                    "type": "object",
                    "required": ["id", "userName"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string"},
                        "userName": {"type": "string"},
                        "firstName": {"type": "string"},
                        "lastName": {"type": "string"}
                    }
                }
            }
        }),
    );
    s.insert(
        "GenesysFindPhoneCall".into(),
        json!({
            "type": "object",
            "description": "Finds the interaction of `callId`, or creates it.",
            "required": ["operationName", "callId", "status", "phoneNumber", "type"],
            "properties": {
                "operationName": op("FindPhoneCall"),
                "callId": {"type": "string"},
                "status": {"type": "string", "enum": ["New", "Pending", "InProcess", "InProgress", "Stopped"]},
                "phoneNumber": {"type": "string"},
                "type": {"type": "string", "enum": ["Unknown", "Internal", "Inbound", "Outbound", "Consult"]},
                "contactId": {"type": "string"},
                "parentId": {"type": "string"},
                "threadId": {"type": "string"},
                "subject": {"type": "string"},
                "userData": user_data
            }
        }),
    );
    let history = |name: &str, required: &[&str], max_size: bool| {
        let mut properties = json!({
            "operationName": op(name),
            "fromDate": {"type": "string", "description": "`yyyy-MM-dd` or a time (default: a month ago)"},
            "toDate": {"type": "string", "description": "`yyyy-MM-dd` (the whole day) or a time (default: now)"},
            "mediaType": {"type": "string", "description": "One media type, or several comma-separated"},
            "sort": {"type": "string", "enum": ["asc", "desc"]},
            "source": {"type": "string", "enum": ["main", "archive"]},
            "customAttributes": {"description": "Custom attributes to include",
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
            "searchCustomAttributes": {"type": "object", "additionalProperties": {"type": "string"},
                "description": "Equality filters; keys of letters, digits, `_ . - +`"},
            "userId": {"type": "string", "description": "The owner"}
        });
        if max_size && let Some(p) = properties.as_object_mut() {
            p.insert(
                "maxSize".into(),
                json!({"description": "At most 1000 (default 100); a number or a string of digits",
                    "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^\\s*[0-9]{1,4}\\s*$"}]}),
            );
        }
        let mut required_fields = vec!["operationName"];
        required_fields.extend_from_slice(required);
        json!({"type": "object", "required": required_fields, "properties": properties})
    };
    s.insert(
        "GenesysRetrieveInteractionHistory".into(),
        history("RetrieveInteractionHistory", &[], true),
    );
    s.insert(
        "GenesysRetrieveAgentHistory".into(),
        history("RetrieveAgentHistory", &["userId"], true),
    );
    s.insert(
        "GenesysRetrieveContactHistory".into(),
        history("RetrieveContactHistory", &[], true),
    );
    s.insert(
        "GenesysSetCallCompleted".into(),
        json!({
            "type": "object",
            "required": ["operationName"],
            "properties": {"operationName": op("SetCallCompleted"), "callDuration": integer, "userData": user_data}
        }),
    );
    s.insert(
        "GenesysSetCallNote".into(),
        json!({
            "type": "object",
            "required": ["operationName", "note"],
            "properties": {"operationName": op("SetCallNote"), "note": {"type": "string", "description": "Replaces the comment; \"\" clears it"}}
        }),
    );
    s.insert(
        "GenesysSetCallContact".into(),
        json!({
            "type": "object",
            "required": ["operationName", "contactPath"],
            "properties": {"operationName": op("SetCallContact"), "contactPath": {"type": "string", "description": "`/contacts/{contactId}` or a bare id"}}
        }),
    );
}

// ---------------------------------------------------------------------------
// CometD
// ---------------------------------------------------------------------------

fn cometd(paths: &mut Map<String, Value>) {
    let base = super::cometd::PATH;
    for (suffix, id) in [("", ""), ("/", "Slash"), ("/{rest}", "Path")] {
        let mut parameters = vec![];
        if suffix == "/{rest}" {
            parameters.push(path_param(
                "rest",
                "Any path below the mount point (`handshake`, `connect`, …); the messages' `channel` decides",
            ));
        }
        paths.insert(
            format!("{base}{suffix}"),
            json!({
                "post": {
                    "operationId": format!("cometdMessages{id}"),
                    "tags": ["cometd"],
                    "summary": "Bayeux messages (long-polling)",
                    "description": "A JSON array of Bayeux messages (or one message). `/meta/handshake` needs the \
                        credential (Basic user:token, or Bearer) and binds the session to it; later messages carry \
                        `clientId`. Protocol errors are answered in the reply messages (`successful: false`).",
                    "security": [{"switchboardToken": []}, {"genesysBasic": []}],
                    "parameters": parameters,
                    "requestBody": {"required": true, "content": json_content(json!({
                        "oneOf": [
                            {"type": "array", "items": schema_ref("BayeuxMessage")},
                            schema_ref("BayeuxMessage")
                        ]
                    }))},
                    "responses": {
                        "200": body("The replies (and delivered messages)", json!({"type": "array", "items": schema_ref("BayeuxReply")})),
                        "400": body("Not a JSON object or array of them", schema_ref("BayeuxFailure")),
                        "413": body("Body over the CometD limit", schema_ref("BayeuxFailure")),
                        "429": body("Server overloaded", schema_ref("ServerOverloaded"))
                    }
                },
                "get": {
                    "operationId": format!("cometdNoWebSocket{id}"),
                    "tags": ["cometd"],
                    "summary": "Refused: only long-polling is served",
                    "description": "Any GET (WebSocket upgrades included) is 400, so clients fall back to long-polling.",
                    "security": [],
                    "parameters": parameters,
                    "responses": {
                        "400": body("WebSocket is not served", schema_ref("BayeuxFailure")),
                        "429": body("Server overloaded", schema_ref("ServerOverloaded"))
                    }
                }
            }),
        );
    }
}

fn cometd_schemas(s: &mut Map<String, Value>) {
    s.insert(
        "BayeuxMessage".into(),
        json!({
            "type": "object",
            "description": "A Bayeux 1.0 message; the fields depend on the channel.",
            "properties": {
                "channel": {"type": "string"},
                "id": {"type": "string"},
                "clientId": {"type": "string"},
                "version": {"type": "string"},
                "minimumVersion": {"type": "string"},
                "supportedConnectionTypes": {"type": "array", "items": {"type": "string"}},
                "connectionType": {"type": "string"},
                "subscription": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "successful": {"type": "boolean"},
                "error": {"type": "string"},
                "advice": {"type": "object"},
                "data": {},
                "ext": {"type": "object"}
            }
        }),
    );
    s.insert(
        "BayeuxReply".into(),
        json!({
            "type": "object",
            "description": "A reply (`channel`, `id`, `clientId` and `subscription` echo the request's values as \
                sent; `channel` is null when the request had none) or a delivered message (`channel`, `data`).",
            "properties": {
                "channel": {},
                "id": {},
                "clientId": {},
                "subscription": {},
                "successful": {"type": "boolean"},
                "error": {"type": "string", "description": "`code:args:message`, e.g. `402::Unknown client`"},
                "advice": {"type": "object"},
                "version": {"type": "string"},
                "supportedConnectionTypes": {"type": "array", "items": {"type": "string"}},
                "data": {},
                "ext": {"type": "object"}
            }
        }),
    );
    s.insert(
        "BayeuxFailure".into(),
        json!({
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["successful", "error"],
                "additionalProperties": false,
                "properties": {"successful": {"type": "boolean", "const": false}, "error": {"type": "string"}}
            }
        }),
    );
}

// ---------------------------------------------------------------------------
// Hubgets
// ---------------------------------------------------------------------------

/// `@me`, `@viewer`, `@owner`, or a user id (1-64 letters, digits, `._-@`,
/// not starting with `@`).
const USER_ID: &str = "^(@me|@viewer|@owner|[A-Za-z0-9._-][A-Za-z0-9._@-]{0,63})$";

const HUBGETS_ERRORS: &[u16] = &[400, 401, 409, 413, 429, 500, 501, 503, 504];

fn hubgets_params(with_call: bool) -> Vec<Value> {
    let mut params = vec![
        with_examples(
            with_pattern(
                path_param(
                    "userId",
                    "`@me`, `@viewer`, `@owner` (all the caller) or the caller's own user id",
                ),
                USER_ID,
            ),
            json!(["@me", "@owner"]),
        ),
        with_examples(
            with_pattern(
                path_param(
                    "extension",
                    "An extension number (`212`, `0003*210`) or `@self` (every call the caller owns)",
                ),
                "^(@self|[0-9]{1,6}|[0-9]+[*][0-9]+)$",
            ),
            json!(["@self", "0003*210"]),
        ),
    ];
    if with_call {
        params.push(with_pattern(
            path_param("phoneCallId", "The phone call id"),
            "^[0-9a-f]{20}$",
        ));
    }
    params
}

fn hubgets_list_params() -> Vec<Value> {
    let string = json!({"type": "string"});
    vec![
        query_param("count", "Page size (default 20, at most 1000)", string.clone()),
        query_param("startIndex", "Results to skip", string.clone()),
        query_param(
            "filterBy",
            "`id`, `nonce`, `extension`, `ownerId`, `answered` or `published`",
            string.clone(),
        ),
        query_param(
            "filterOp",
            "`equals` (default), `greaterThan`, `lessThan`, `present`, `startsWith`, `contains`, `inArray`",
            string.clone(),
        ),
        query_param("filterValue", "The value to compare with", string.clone()),
        query_param("fields", "Comma-separated properties to return", string.clone()),
        query_param(
            "sortOrder",
            "`ascending` or `descending` (by publish time)",
            string,
        ),
    ]
}

fn hubgets_security() -> Value {
    json!([{"switchboardToken": []}, {"hubgetsXsrfCookie": [], "hubgetsXsrfHeader": []}])
}

fn hubgets_op(
    id: &str,
    summary: &str,
    params: Vec<Value>,
    request: Option<Value>,
    success: &[(&str, Value)],
) -> Value {
    let mut op = json!({
        "operationId": id,
        "tags": ["hubgets"],
        "summary": summary,
        "security": hubgets_security(),
        "parameters": params,
        "responses": responses(success, errors(Dialect::Hubgets, HUBGETS_ERRORS)),
    });
    if let (Some(request), Some(map)) = (request, op.as_object_mut()) {
        map.insert("requestBody".into(), request);
    }
    op
}

fn hubgets(paths: &mut Map<String, Value>) {
    let create_query = [
        query_param(
            "waitForPickup",
            "Seconds to ring before the call is cancelled (1-3600, default 25)",
            json!({"type": "string"}),
        ),
        query_param(
            "callDuration",
            "Seconds of talk time before the call is hung up",
            json!({"type": "string"}),
        ),
        query_param(
            "allowPublicTransfer",
            "`true`/`false`/`1`/`0` (simple calls only)",
            json!({"type": "string"}),
        ),
        query_param("video", "`true`/`false`/`1`/`0`", json!({"type": "string"})),
        query_param(
            "number",
            "Conference number (conferenceInvite)",
            json!({"type": "string"}),
        ),
        query_param(
            "pin",
            "Conference PIN (conferenceInvite)",
            json!({"type": "string"}),
        ),
    ];
    let create_body = json!({"required": false, "content": json_content(schema_ref("HubgetsCreate"))});
    let action_body = json!({"required": true, "content": json_content(schema_ref("HubgetsAction"))});
    let hang_up_body = json!({"required": false, "content": json_content(schema_ref("HubgetsHangUp"))});
    let mut items = Vec::new();
    for (kind, plural) in [("simple", true), ("callback", false), ("conferenceInvite", false)] {
        let reference = if plural {
            "HubgetsCallRefLinks"
        } else {
            "HubgetsCallRefLink"
        };
        let mut params = vec![with_examples(
            with_pattern(
                path_param("userId", "`@me`, `@viewer`, `@owner` or the caller's own user id"),
                USER_ID,
            ),
            json!(["@me"]),
        )];
        params.extend(create_query.iter().cloned());
        items.push((
            format!("/uapi/phoneCalls/{{userId}}/{kind}"),
            format!("hubgetsCreate{}{}", kind[..1].to_uppercase(), &kind[1..]),
            json!({
                "post": hubgets_op(
                    "",
                    &format!("Create {kind} phone calls (one per phoneCallView element)"),
                    params,
                    Some(create_body.clone()),
                    &[
                        ("200", body("The created calls", json!({"type": "array", "minItems": 1, "items": schema_ref(reference)}))),
                        ("204", no_content("No call was requested (an empty phoneCallView)")),
                    ],
                )
            }),
        ));
    }
    let mut other_kind = hubgets_params(false);
    other_kind[1] = json!({
        "name": "extension", "in": "path", "required": true,
        "description": "A call type other than simple, callback and conferenceInvite",
        "schema": {"type": "string", "not": {"enum": ["simple", "callback", "conferenceInvite"]}}
    });
    items.push((
        "/uapi/phoneCalls/{userId}/{extension}".to_owned(),
        "hubgetsExtension".to_owned(),
        json!({
            "get": hubgets_op(
                "",
                "List the live calls of the extension",
                [hubgets_params(false), hubgets_list_params()].concat(),
                None,
                &[
                    ("200", body("A page of live calls", schema_ref("HubgetsCollection"))),
                    ("204", no_content("No live calls")),
                ],
            ),
            "put": hubgets_op(
                "",
                "Apply an action to every live call of the extension",
                hubgets_params(false),
                Some(action_body.clone()),
                &[
                    ("200", body("The calls acted on", json!({"type": "array", "minItems": 1, "items": schema_ref("HubgetsCallRefLink")}))),
                    ("204", no_content("No live calls")),
                ],
            ),
            "delete": hubgets_op(
                "",
                "Hang up every live call of the extension",
                hubgets_params(false),
                Some(hang_up_body.clone()),
                &[
                    ("200", body("The calls hung up", json!({"type": "array", "minItems": 1, "items": schema_ref("HubgetsHungUp")}))),
                    ("204", no_content("No live calls")),
                ],
            ),
            "post": hubgets_op(
                "",
                "Create a call of an unsupported type: always 501",
                other_kind,
                None,
                &[],
            )
        }),
    ));
    let hang_up_one = |summary: &str| {
        hubgets_op(
            "",
            summary,
            hubgets_params(true),
            Some(hang_up_body.clone()),
            &[(
                "200",
                body(
                    "The call hung up",
                    json!({"type": "array", "minItems": 1, "maxItems": 1, "items": schema_ref("HubgetsHungUp")}),
                ),
            )],
        )
    };
    items.push((
        "/uapi/phoneCalls/{userId}/{extension}/{phoneCallId}".to_owned(),
        "hubgetsCall".to_owned(),
        json!({
            "get": hubgets_op(
                "",
                "List one live call",
                [hubgets_params(true), hubgets_list_params()].concat(),
                None,
                &[
                    ("200", body("The call", schema_ref("HubgetsCollection"))),
                    ("204", no_content("The call is not live")),
                ],
            ),
            "put": hubgets_op(
                "",
                "Apply an action (park, hold, record, transfer, …) to the call",
                hubgets_params(true),
                Some(action_body),
                &[("200", body("The call", schema_ref("HubgetsUpdated")))],
            ),
            "delete": hang_up_one("Hang up the call (or one party, with phoneNumber)"),
            "post": hang_up_one("Hang up the call: the seed's cURL sends --data-binary without -X DELETE")
        }),
    ));
    // Every path is also served with a trailing slash, as the vendor's cURL
    // examples send them.
    for (path, id, mut item) in items {
        let mut slashed = item.clone();
        name_operations(&mut item, &id, "");
        name_operations(&mut slashed, &id, "Slash");
        paths.insert(path.clone(), item);
        paths.insert(format!("{path}/"), slashed);
    }
}

/// Sets `operationId` = `{prefix}{Method}{suffix}` on each operation of a
/// path item.
fn name_operations(item: &mut Value, prefix: &str, suffix: &str) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    let single = item.len() == 1;
    for (method, operation) in item.iter_mut() {
        let method = if single && prefix.starts_with("hubgetsCreate") {
            String::new()
        } else {
            format!("{}{}", method[..1].to_uppercase(), &method[1..])
        };
        if let Some(op) = operation.as_object_mut() {
            op.insert("operationId".into(), json!(format!("{prefix}{method}{suffix}")));
        }
    }
}

fn hubgets_schemas(s: &mut Map<String, Value>) {
    let scalar = json!({"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]});
    let numbers = json!({"oneOf": [scalar, {"type": "array", "items": scalar}]});
    s.insert(
        "HubgetsError".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "additionalProperties": false,
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": false,
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
            }}
        }),
    );
    let parties = json!({
        "extension": scalar,
        "source": numbers,
        "destination": numbers,
        "callerId": {"type": "string", "description": "`John Doe <4242425>`, `<4242425>` or a number"},
        "callerIdDestination": {"type": "string"},
        "nonce": scalar
    });
    let mut create = parties.clone();
    if let Some(map) = create.as_object_mut() {
        map.insert(
            "phoneCallView".into(),
            json!({
                "type": "array",
                "maxItems": super::hubgets::MAX_CALLS_PER_CREATE,
                "items": {"type": "object", "properties": parties}
            }),
        );
    }
    s.insert(
        "HubgetsCreate".into(),
        json!({
            "type": "object",
            "description": "The parties, top-level or in `phoneCallView` elements (one call each). `nonce` is the \
                idempotency key.",
            "properties": create
        }),
    );
    s.insert(
        "HubgetsAction".into(),
        json!({
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"type": "string", "enum": [
                    "Park", "UnPark", "Unpark", "OnHold", "OffHold", "StartRecording", "StopRecording", "PickUp",
                    "Pickup", "BargeIn", "Whisper", "Monitor", "Transfer", "TransferToVoicemail", "TransferToVoiceMail"
                ], "description": "An unknown action is 501 request_not_implemented"},
                "phoneCallViewId": scalar,
                "maxInParking": scalar,
                "sendCallTo": scalar,
                "callerId": {"type": "string"},
                "waitForPickup": scalar,
                "format": {"type": "string", "enum": ["wav", "wav49"]},
                "private": {"oneOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}, {"type": "string"}]},
                "transferFromNumber": scalar,
                "transferNumber": scalar
            }
        }),
    );
    s.insert(
        "HubgetsHangUp".into(),
        json!({
            "type": "object",
            "properties": {"phoneNumber": {"description": "Hang up only this party", "oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]}}
        }),
    );
    let link = json!({
        "type": "object", "required": ["self"], "additionalProperties": false,
        "properties": {"self": {"type": "string"}}
    });
    s.insert(
        "HubgetsCallRefLinks".into(),
        json!({
            "type": "object", "required": ["id", "extension", "links"], "additionalProperties": false,
            "properties": {"id": {"type": "string"}, "extension": {"type": "string"}, "links": link}
        }),
    );
    s.insert(
        "HubgetsCallRefLink".into(),
        json!({
            "type": "object", "required": ["id", "extension", "link"], "additionalProperties": false,
            "properties": {"id": {"type": "string"}, "extension": {"type": "string"}, "link": link}
        }),
    );
    s.insert(
        "HubgetsUpdated".into(),
        json!({
            "type": "object", "required": ["PhoneCall"], "additionalProperties": false,
            "properties": {"PhoneCall": schema_ref("HubgetsCallRefLink")}
        }),
    );
    s.insert(
        "HubgetsHungUp".into(),
        json!({
            "type": "object", "required": ["id"], "additionalProperties": false,
            "properties": {"id": {"type": "string"}}
        }),
    );
    let string = json!({"type": "string"});
    s.insert(
        "HubgetsPhoneCallView".into(),
        json!({
            "type": "object",
            "required": ["id", "status", "source", "destination", "links"],
            "additionalProperties": false,
            "properties": {
                "id": string, "extension": string, "answered": string,
                "status": {"type": "string", "enum": ["0", "1", "2", "3", "4", "5"]},
                "callerId": string,
                "source": {"type": "array", "items": string},
                "destination": {"type": "array", "items": string},
                "recording": string, "parked": string, "parkedPos": string, "parkedBy": string,
                "onHold": string, "holder": string,
                "disposition": {"type": "string", "enum": ["0", "1", "2", "3", "4", "5"]},
                "links": {"type": "object", "additionalProperties": false}
            }
        }),
    );
    s.insert(
        "HubgetsPhoneCall".into(),
        json!({
            "type": "object",
            "description": "Only the requested `fields`; absent values are left out.",
            "additionalProperties": false,
            "properties": {
                "id": string, "nonce": string, "extension": string, "ownerId": string, "ownerName": string,
                "answered": string, "published": string,
                "phoneCallView": {"type": "array", "items": schema_ref("HubgetsPhoneCallView")}
            }
        }),
    );
    s.insert(
        "HubgetsCollection".into(),
        json!({
            "type": "object",
            "required": ["entry", "startIndex", "totalResults", "itemsPerPage", "filtered", "sorted", "paging"],
            "additionalProperties": false,
            "properties": {
                "entry": {"type": "array", "items": schema_ref("HubgetsPhoneCall")},
                "startIndex": {"type": "integer", "minimum": 0},
                "totalResults": {"type": "integer", "minimum": 0},
                "itemsPerPage": {"type": "integer", "minimum": 0},
                "filtered": {"type": "boolean"},
                "sorted": {"type": "boolean"},
                "paging": {"type": "object", "additionalProperties": false}
            }
        }),
    );
    s.insert(
        "ServerOverloaded".into(),
        json!({
            "type": "object",
            "description": "The server-wide REST load shedder (429, with Retry-After), before any dialect runs.",
            "required": ["error"],
            "additionalProperties": false,
            "properties": {"error": {
                "type": "object", "required": ["code", "message"], "additionalProperties": false,
                "properties": {"code": {"type": "string", "const": "too_many_requests"}, "message": {"type": "string"}}
            }}
        }),
    );
}

// ---------------------------------------------------------------------------
// Salesforce
// ---------------------------------------------------------------------------

const SALESFORCE_ERRORS: &[u16] = &[400, 401, 403, 404, 409, 413, 415, 429, 500, 503, 504];

fn salesforce_body(schema: &str) -> Value {
    json!({"required": true, "content": {
        "application/json": {"schema": schema_ref(schema)},
        "application/xml": {"schema": schema_ref(schema)}
    }})
}

fn salesforce_op(id: &str, summary: &str, params: Vec<Value>, request: &str, success: Value) -> Value {
    json!({
        "operationId": id,
        "tags": ["salesforce"],
        "summary": summary,
        "security": [{"salesforceJwt": []}],
        "parameters": params,
        "requestBody": salesforce_body(request),
        "responses": responses(&[("200", success)], errors(Dialect::Salesforce, SALESFORCE_ERRORS))
    })
}

fn salesforce(paths: &mut Map<String, Value>) {
    let call_id = || {
        path_param(
            "callId",
            "The voice call id (`0LQ…`), its vendor call key or external uuid",
        )
    };
    paths.insert(
        "/telephony/v1/voiceCalls".to_owned(),
        json!({"post": salesforce_op(
            "salesforceCreateVoiceCall",
            "Create a voice call (idempotent on vendorCallKey)",
            vec![json!({"name": "telephony-provider-name", "in": "header", "required": false,
                "description": "The telephony provider", "schema": {"type": "string"}})],
            "SalesforceCreateVoiceCall",
            body("The voice call", schema_ref("SalesforceCreated")),
        )}),
    );
    paths.insert(
        "/telephony/v1/voiceCalls/{callId}".to_owned(),
        json!({"patch": salesforce_op(
            "salesforceUpdateVoiceCall",
            "Update a voice call",
            vec![call_id()],
            "SalesforceUpdateVoiceCall",
            body("Applied", schema_ref("SalesforcePending")),
        )}),
    );
    paths.insert(
        "/telephony/v1/voiceCalls/{callId}/messages".to_owned(),
        json!({"post": salesforce_op(
            "salesforceCreateMessage",
            "Add one transcript message to a voice call",
            vec![call_id()],
            "SalesforceMessage",
            body("Stored", schema_ref("SalesforceAccepted")),
        )}),
    );
    paths.insert(
        "/telephony/v1/voiceCalls/messages".to_owned(),
        json!({"post": salesforce_op(
            "salesforceCreateMessages",
            "Add transcript messages to up to 5 voice calls (5 messages each), atomically",
            vec![],
            "SalesforceBulkMessages",
            body("Stored", schema_ref("SalesforceAccepted")),
        )}),
    );
    for (route, method, id) in [
        ("omniFlow", "patch", "salesforceOmniFlow"),
        ("routeVoiceCall", "post", "salesforceRouteVoiceCall"),
        ("requestCallback", "post", "salesforceRequestCallback"),
        ("reroute", "post", "salesforceReroute"),
        ("clearRouting", "patch", "salesforceClearRouting"),
        (
            "realtimeConversationEvents",
            "post",
            "salesforceRealtimeConversationEvents",
        ),
        (
            "postConversationEvents",
            "post",
            "salesforcePostConversationEvents",
        ),
    ] {
        paths.insert(
            format!("/telephony/v1/voiceCalls/{{callId}}/{route}"),
            json!({method: {
                "operationId": id,
                "tags": ["salesforce"],
                "summary": format!("{route}: not implemented (routing belongs to Omni-Channel)"),
                "security": [],
                "parameters": [call_id()],
                "responses": {"501": Dialect::Salesforce.error(501)}
            }}),
        );
    }
}

fn salesforce_schemas(s: &mut Map<String, Value>) {
    let participant_type = json!({"type": "string", "enum": ["END_USER", "EXTERNAL_USER", "HUMAN_AGENT", "SUPERVISOR", "VIRTUAL_AGENT"]});
    let time = json!({"type": "string", "description": "ISO 8601"});
    let seconds = json!({"type": "integer", "minimum": 0});
    let call_attributes = json!({"type": "string", "description": "A string holding a JSON object, e.g. `{\"SourceType\":\"Sales\"}`"});
    s.insert(
        "SalesforceErrors".into(),
        json!({
            "type": "object",
            "required": ["errors"],
            "additionalProperties": false,
            "properties": {"errors": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["errorCode", "message"],
                "additionalProperties": false,
                "properties": {
                    "errorCode": {"type": "string", "enum": [
                        "REQUIRED_FIELD_MISSING", "INVALID_FIELD", "JSON_PARSER_ERROR", "XML_PARSER_ERROR",
                        "AUTH_TOKEN_INVALID", "INSUFFICIENT_ACCESS", "NOT_FOUND", "INVALID_STATE_TRANSITION",
                        "CONFLICT", "UNSUPPORTED_MEDIA_TYPE", "SCV_LIMITS_ERROR", "UNKNOWN_EXCEPTION",
                        "NOT_IMPLEMENTED", "SERVICE_UNAVAILABLE", "DUPLICATE_VALUE", "REQUEST_TOO_LARGE"
                    ]},
                    "message": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "string"}}
                }
            }}}
        }),
    );
    s.insert(
        "SalesforceCreateVoiceCall".into(),
        json!({
            "type": "object",
            "xml": {"name": "voiceCall"},
            "required": ["callCenterApiName", "vendorCallKey", "to", "from", "initiationMethod", "startTime", "participants"],
            "properties": {
                "callCenterApiName": {"type": "string", "description": "Must be the JWT's call centre"},
                "vendorCallKey": {"type": "string"},
                "to": {"type": "string"},
                "from": {"type": "string"},
                "initiationMethod": {"type": "string", "enum": ["Inbound", "Outbound", "Transfer", "Conference"]},
                "parentVoiceCallId": {"type": "string", "description": "Required for Transfer"},
                "queue": {"type": "string"},
                "startTime": time,
                "callOrigin": {"type": "string", "enum": ["Preview", "Progressive", "Voicemail"]},
                "callSubtype": {"type": "string", "enum": ["PSTN", "WebRTC"]},
                "participants": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "required": ["participantKey", "type"],
                    "properties": {"participantKey": {"type": "string"}, "type": participant_type}
                }},
                "callAttributes": call_attributes
            }
        }),
    );
    s.insert(
        "SalesforceUpdateVoiceCall".into(),
        json!({
            "type": "object",
            "xml": {"name": "voiceCall"},
            "properties": {
                "startTime": time, "endTime": time, "enqueueTime": time, "acceptTime": time,
                "fromNumber": {"type": "string"},
                "totalHoldDuration": seconds, "longestHoldDuration": seconds, "numberOfHolds": seconds,
                "queue": {"type": "string"},
                "agent": {"type": "string"},
                "agentInteractionDuration": seconds,
                "callOrigin": {"type": "string", "enum": ["Preview", "Progressive", "Voicemail"]},
                "recordingLocation": {"type": "string"},
                "totalRecordingDuration": seconds,
                "callAttributes": call_attributes,
                "isActiveCall": {"type": "boolean"},
                "disconnectReason": {
                    "type": "object",
                    "required": ["value"],
                    "properties": {"value": {"type": "string"}, "isError": {"type": "boolean"}}
                }
            }
        }),
    );
    let message = json!({
        "type": "object",
        "required": ["participantId", "messageId", "startTime", "endTime", "content", "senderType"],
        "properties": {
            "participantId": {"type": "string"},
            "messageId": {"type": "string"},
            "startTime": {"type": "integer", "description": "Epoch milliseconds"},
            "endTime": {"type": "integer", "description": "Epoch milliseconds"},
            "content": {"type": "string"},
            "senderType": participant_type
        }
    });
    let mut single = message.clone();
    if let Some(map) = single.as_object_mut() {
        map.insert("xml".into(), json!({"name": "message"}));
    }
    s.insert("SalesforceMessage".into(), single);
    s.insert(
        "SalesforceBulkMessages".into(),
        json!({
            "type": "object",
            "xml": {"name": "messages"},
            "required": ["entries"],
            "properties": {"entries": {"type": "array", "minItems": 1, "maxItems": 5, "items": {
                "type": "object",
                "required": ["vendorCallKey", "messages"],
                "properties": {
                    "vendorCallKey": {"type": "string"},
                    "messages": {"type": "array", "maxItems": 5, "items": message}
                }
            }}}
        }),
    );
    s.insert(
        "SalesforceCreated".into(),
        json!({
            "type": "object", "required": ["voiceCallId", "errors"], "additionalProperties": false,
            "properties": {"voiceCallId": {"type": "string"}, "errors": {"type": "array", "maxItems": 0}}
        }),
    );
    s.insert(
        "SalesforcePending".into(),
        json!({
            "type": "object", "required": ["status"], "additionalProperties": false,
            "properties": {"status": {"type": "string", "const": "pending"}}
        }),
    );
    s.insert(
        "SalesforceAccepted".into(),
        json!({
            "type": "object", "required": ["result"], "additionalProperties": false,
            "properties": {"result": {"type": "string", "const": "Accepted"}}
        }),
    );
}

// ---------------------------------------------------------------------------
// vcita
// ---------------------------------------------------------------------------

const VCITA_ERRORS: &[u16] = &[400, 401, 403, 404, 409, 413, 429, 500, 503, 504];

fn vcita_op(id: &str, summary: &str, params: Vec<Value>, request: Option<&str>, data: Value) -> Value {
    let mut op = json!({
        "operationId": id,
        "tags": ["vcita"],
        "summary": summary,
        "security": [{"switchboardToken": []}, {"salesforceJwt": []}],
        "parameters": params,
        "responses": responses(
            &[("200", body("Success", json!({
                "type": "object",
                "required": ["success", "data"],
                "additionalProperties": false,
                "properties": {"success": {"type": "boolean", "const": true}, "data": data}
            })))],
            errors(Dialect::Vcita, VCITA_ERRORS),
        )
    });
    if let (Some(request), Some(map)) = (request, op.as_object_mut()) {
        map.insert(
            "requestBody".into(),
            json!({"required": true, "content": json_content(schema_ref(request))}),
        );
    }
    op
}

fn vcita(paths: &mut Map<String, Value>) {
    let uid = || {
        path_param(
            "uid",
            "The voice call id (its external_uuid or a Salesforce vendor key works too)",
        )
    };
    let not_implemented = |id: &str, params: Vec<Value>| {
        json!({
            "operationId": id,
            "tags": ["vcita"],
            "summary": "Not served yet",
            "security": [],
            "parameters": params,
            "responses": {"501": Dialect::Vcita.error(501)}
        })
    };
    paths.insert(
        "/v3/communication/voice_calls".to_owned(),
        json!({
            "get": vcita_op(
                "vcitaListVoiceCalls",
                "List voice calls",
                vec![
                    query_param("page", "1-10000 (default 1)", json!({"type": "integer", "minimum": 1, "maximum": 10000})),
                    query_param("per_page", "1-100 (default 25)", json!({"type": "integer", "minimum": 1, "maximum": 100})),
                    query_param("sort", "e.g. `created_at:asc,updated_at:desc` (default `updated_at:desc`)", json!({"type": "string"})),
                    json!({"name": "filter", "in": "query", "required": false, "style": "deepObject", "explode": true,
                        "description": "`filter[field]=v` or `filter[field][op]=v` (eq, ne, gt, gte, lt, lte)",
                        "schema": {"type": "object", "additionalProperties": {"type": "string"}}})
                ],
                None,
                json!({"type": "object", "required": ["voice_calls"], "additionalProperties": false,
                    "properties": {"voice_calls": {"type": "array", "items": schema_ref("VcitaVoiceCall")}}}),
            ),
            "post": vcita_op(
                "vcitaCreateVoiceCall",
                "Create a voice call (idempotent on external_uuid)",
                vec![],
                Some("VcitaCreateVoiceCall"),
                schema_ref("VcitaVoiceCall"),
            )
        }),
    );
    paths.insert(
        "/v3/communication/voice_calls/reports/voice_call_stats".to_owned(),
        json!({"get": vcita_op(
            "vcitaVoiceCallStats",
            "Voice call counts by status",
            vec![
                query_param("start_date", "YYYY-MM-DD (included)", json!({"type": "string", "format": "date"})),
                query_param("end_date", "YYYY-MM-DD (included)", json!({"type": "string", "format": "date"})),
                query_param("status", "Count only this status", json!({"type": "string"}))
            ],
            None,
            json!({
                "type": "object",
                "required": ["status_counts", "total_voice_calls", "start_date", "end_date"],
                "additionalProperties": false,
                "properties": {
                    "status_counts": {"type": "array", "items": {
                        "type": "object", "required": ["status", "count"], "additionalProperties": false,
                        "properties": {"status": {"type": "string"}, "count": {"type": "integer", "minimum": 0}}
                    }},
                    "total_voice_calls": {"type": "integer", "minimum": 0},
                    "start_date": {"type": ["string", "null"]},
                    "end_date": {"type": ["string", "null"]}
                }
            }),
        )}),
    );
    paths.insert(
        "/v3/communication/voice_calls/{uid}".to_owned(),
        json!({
            "get": vcita_op("vcitaGetVoiceCall", "Get a voice call", vec![uid()], None, schema_ref("VcitaVoiceCall")),
            "put": vcita_op(
                "vcitaUpdateVoiceCall",
                "Update a voice call (partial: only the fields sent change; null clears)",
                vec![uid()],
                Some("VcitaUpdateVoiceCall"),
                schema_ref("VcitaVoiceCall"),
            )
        }),
    );
    paths.insert(
        "/v3/communication/voice_calls/{uid}/transcript".to_owned(),
        json!({"get": vcita_op(
            "vcitaGetTranscript",
            "The call's transcript (404 when it has none)",
            vec![uid()],
            None,
            json!({
                "type": "object",
                "required": ["transcript_uid", "status", "transcript"],
                "additionalProperties": false,
                "properties": {
                    "transcript_uid": {"type": "string"},
                    "status": {"type": "string", "enum": ["IN_PROGRESS", "DONE", "FAILED"]},
                    "transcript": {"type": "array", "items": {
                        "type": "object", "required": ["timestamp", "speaker_role", "text"], "additionalProperties": false,
                        "properties": {
                            "timestamp": {"type": "number", "description": "Seconds from the call's start"},
                            "speaker_role": {"type": "string", "enum": ["client", "staff"]},
                            "text": {"type": "string"}
                        }
                    }}
                }
            }),
        )}),
    );
    paths.insert(
        "/v3/communication/voice_call_recordings/{uid}".to_owned(),
        json!({
            "put": not_implemented("vcitaUpdateRecording", vec![path_param("uid", "The recording id")]),
            "delete": not_implemented("vcitaDeleteRecording", vec![path_param("uid", "The recording id")])
        }),
    );
    paths.insert(
        "/v3/communication/voice_call_quotas".to_owned(),
        json!({"get": not_implemented("vcitaGetQuotas", vec![])}),
    );
    paths.insert(
        "/v3/communication/voice_call_settings".to_owned(),
        json!({
            "get": not_implemented("vcitaListSettings", vec![]),
            "post": not_implemented("vcitaCreateSettings", vec![])
        }),
    );
    let setting = || vec![path_param("uid", "The settings id")];
    paths.insert(
        "/v3/communication/voice_call_settings/{uid}".to_owned(),
        json!({
            "get": not_implemented("vcitaGetSettings", setting()),
            "put": not_implemented("vcitaUpdateSettings", setting()),
            "delete": not_implemented("vcitaDeleteSettings", setting())
        }),
    );
}

fn vcita_schemas(s: &mut Map<String, Value>) {
    let nullable = |t: &str| json!({"type": [t, "null"]});
    s.insert(
        "VcitaError".into(),
        json!({
            "type": "object",
            "required": ["success", "errors"],
            "additionalProperties": false,
            "properties": {
                "success": {"type": "boolean", "const": false},
                "errors": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "additionalProperties": false,
                    "properties": {
                        "code": {"type": "string", "enum": [
                            "bad_request", "unauthorized", "forbidden", "not_found", "conflict",
                            "too_many_requests", "unexpected", "not_implemented", "unavailable", "payload_too_large"
                        ]},
                        "message": {"description": "Validation failures (bad_request) list every problem",
                            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
                    }
                }}
            }
        }),
    );
    let status = json!({"type": "string", "enum": [
        "INCOMING_CALL", "ANSWERED_BY_STAFF", "MISSED", "ANSWERED_BY_CALLS_PROVIDER", "MISSED_CALL_HANDLED",
        "VOICEMAIL", "VOICEMAIL_RECEIVED"
    ]});
    let e164 = json!({"type": "string", "pattern": "^\\+[1-9][0-9]{6,14}$"});
    let decimal = json!({"type": "string", "description": "A decimal, as a string (not a number)", "pattern": "^[0-9]+(\\.[0-9]+)?$"});
    s.insert(
        "VcitaCreateVoiceCall".into(),
        json!({
            "type": "object",
            "required": ["staff_uid", "client_uid", "from_number", "to_number", "direction", "status", "rate",
                "provider", "source_id", "external_uuid", "business_uid"],
            "properties": {
                "staff_uid": {"type": "string"},
                "client_uid": {"type": "string"},
                "from_number": e164,
                "to_number": e164,
                "direction": {"type": "string", "enum": ["INBOUND", "OUTBOUND"]},
                "status": status,
                "rate": decimal,
                "provider": {"type": "string", "enum": ["VONAGE"]},
                "source_id": {"type": "string"},
                "external_uuid": {"type": "string"},
                "business_uid": {"type": "string"}
            }
        }),
    );
    let text_or_null = json!({"type": ["string", "null"]});
    s.insert(
        "VcitaUpdateVoiceCall".into(),
        json!({
            "type": "object",
            "minProperties": 1,
            "properties": {
                "staff_uid": text_or_null, "client_uid": text_or_null,
                "from_number": e164, "to_number": e164,
                "direction": {"type": "string", "enum": ["INBOUND", "OUTBOUND"]},
                "status": status,
                "rate": decimal, "price": decimal,
                "provider": {"type": "string", "enum": ["VONAGE"]},
                "source_id": text_or_null, "external_uuid": {"type": "string"}, "business_uid": text_or_null,
                "duration": {"type": ["integer", "null"], "minimum": 0},
                "call_summary": text_or_null, "external_app_url": text_or_null, "external_app_name": text_or_null,
                "recording_id": text_or_null, "handled_by_staff_uid": text_or_null
            }
        }),
    );
    s.insert(
        "VcitaVoiceCall".into(),
        json!({
            "type": "object",
            "required": ["uid", "duration", "created_at", "updated_at", "status", "direction", "staff_uid",
                "client_uid", "business_uid", "from_number", "to_number", "rate", "price", "provider",
                "call_summary", "recording", "external_app_url", "external_app_name", "source_id",
                "external_uuid", "handled_by_staff_uid", "handled_at", "deleted_at", "transcript_status"],
            "additionalProperties": false,
            "properties": {
                "uid": {"type": "string"},
                "duration": nullable("integer"),
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "status": status,
                "direction": {"enum": ["INBOUND", "OUTBOUND", null]},
                "staff_uid": nullable("string"),
                "client_uid": nullable("string"),
                "business_uid": nullable("string"),
                "from_number": {"type": "string"},
                "to_number": {"type": "string"},
                "rate": nullable("string"),
                "price": nullable("string"),
                "provider": nullable("string"),
                "call_summary": nullable("string"),
                "recording": {"oneOf": [{"type": "null"}, {
                    "type": "object",
                    "required": ["uid", "recordingUrl", "size", "duration", "recording_played", "recording_type"],
                    "additionalProperties": false,
                    "properties": {
                        "uid": nullable("string"),
                        "recordingUrl": nullable("string"),
                        "size": nullable("integer"),
                        "duration": nullable("integer"),
                        "recording_played": {"type": "boolean"},
                        "recording_type": {"type": "string", "enum": ["CALL", "VOICEMAIL"]}
                    }
                }]},
                "external_app_url": nullable("string"),
                "external_app_name": nullable("string"),
                "source_id": nullable("string"),
                "external_uuid": nullable("string"),
                "handled_by_staff_uid": nullable("string"),
                "handled_at": nullable("string"),
                "deleted_at": {"type": "null"},
                "transcript_status": {"enum": ["IN_PROGRESS", "DONE", "FAILED", null]}
            }
        }),
    );
}

fn schemas() -> Value {
    let mut s = Map::new();
    genesys_schemas(&mut s);
    cometd_schemas(&mut s);
    hubgets_schemas(&mut s);
    salesforce_schemas(&mut s);
    vcita_schemas(&mut s);
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` names a schema that exists.
    #[test]
    fn references_resolve() {
        fn walk(value: &Value, schemas: &Map<String, Value>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        let name = target.trim_start_matches("#/components/schemas/");
                        assert!(schemas.contains_key(name), "dangling $ref {target}");
                    }
                    map.values().for_each(|v| walk(v, schemas));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, schemas)),
                _ => {}
            }
        }
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap().clone();
        walk(&doc, &schemas);
    }

    /// operationIds are unique and present.
    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                assert!(seen.insert(id.to_owned()), "duplicate operationId {id}");
            }
        }
    }
}
