//! Who is making a request: the authenticated user and the tenant every
//! repository call is scoped to.

use super::ids::{TenantId, UserId};

/// The authenticated principal of a request. Every store function takes one
/// and scopes its queries to `tenant`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The tenant whose rows the request may see.
    pub tenant: TenantId,
    /// The user making the request, as stored in the tenant.
    pub user: User,
}

/// A user of a tenant, with the display fields resources copy as their owner.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// The user id within the tenant.
    pub id: UserId,
    /// The login name; defaults to the id.
    pub user_name: String,
    /// First name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}
