//! Message ids that name one message whatever happens: the same request
//! sent twice, or a campaign's send found again after a crash, lands on the
//! message that already exists instead of making a second one.
//!
//! Each id covers the tenant, because read models of every tenant share one
//! id space.

use uuid::Uuid;

use crate::ids::{SessionId, TenantId};
use crate::phone::PhoneNumber;

const NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_2f0e_93b4_4d1e_a7c5_5e2b_8f40_0003);

/// The message a client's `Idempotency-Key` names on a session.
pub fn message_id_for_key(tenant: &TenantId, session: &SessionId, key: &str) -> Uuid {
    derived(&["key", tenant.as_str(), session.as_str(), key])
}

/// A campaign's message to one recipient in one run.
pub fn campaign_message_id(
    tenant: &TenantId,
    campaign_id: &str,
    run: u32,
    recipient: &PhoneNumber,
) -> Uuid {
    derived(&[
        "campaign",
        tenant.as_str(),
        campaign_id,
        &run.to_string(),
        recipient.as_str(),
    ])
}

/// A name-based (v5) UUID of the parts, each length-prefixed so that no two
/// lists of parts give the same name.
fn derived(parts: &[&str]) -> Uuid {
    let mut name = Vec::new();
    for part in parts {
        name.extend_from_slice(&(part.len() as u64).to_be_bytes());
        name.extend_from_slice(part.as_bytes());
    }
    Uuid::new_v5(&NAMESPACE, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_by_every_part() {
        let tenant = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("globex").unwrap();
        let session = SessionId::parse("main").unwrap();
        let key = message_id_for_key(&tenant, &session, "k1");
        assert_eq!(key, message_id_for_key(&tenant, &session, "k1"));
        assert_ne!(key, message_id_for_key(&other, &session, "k1"));
        assert_ne!(key, message_id_for_key(&tenant, &session, "k2"));
        let to = PhoneNumber::parse("+14155550100").unwrap();
        let first = campaign_message_id(&tenant, "c1", 1, &to);
        assert_eq!(first, campaign_message_id(&tenant, "c1", 1, &to));
        assert_ne!(first, campaign_message_id(&tenant, "c1", 2, &to));
        assert_ne!(first, campaign_message_id(&tenant, "c2", 1, &to));
    }
}
