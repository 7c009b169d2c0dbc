//! The fault script: "fail the next N calls with code X" (§7 item 10).

use axum::http::StatusCode;

use crate::errors::GraphError;
use crate::send::recipient::digits;

/// Which endpoint a scripted fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget {
    /// `POST /{phone-number-id}/messages` (the default).
    Messages,
    /// `GET`/`POST`/`DELETE /{waba-id}/message_templates`.
    MessageTemplates,
}

/// One scripted Graph error; status, title and details come from the §2 table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeFault {
    pub code: u32,
    /// Only sends to this recipient fail (digits compared, formatting ignored).
    pub recipient: Option<String>,
    pub target: FaultTarget,
    /// Overrides the table's HTTP status (e.g. 429 for 130429).
    pub status: Option<u16>,
    pub subcode: Option<u32>,
}

impl FakeFault {
    pub fn code(code: u32) -> Self {
        Self {
            code,
            recipient: None,
            target: FaultTarget::Messages,
            status: None,
            subcode: None,
        }
    }

    pub fn for_recipient(mut self, to: impl Into<String>) -> Self {
        self.recipient = Some(to.into());
        self
    }

    pub fn on(mut self, target: FaultTarget) -> Self {
        self.target = target;
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_subcode(mut self, subcode: u32) -> Self {
        self.subcode = Some(subcode);
        self
    }

    fn matches(&self, target: FaultTarget, recipient: Option<&str>) -> bool {
        let recipient_ok = match (&self.recipient, recipient) {
            (None, _) => true,
            (Some(wanted), Some(actual)) => digits(wanted) == digits(actual),
            (Some(_), None) => false,
        };
        self.target == target && recipient_ok
    }

    fn to_error(&self) -> GraphError {
        let mut error = GraphError::code(self.code);
        if let Some(status) = self.status.and_then(|s| StatusCode::from_u16(s).ok()) {
            error.status = status;
        }
        error.subcode = self.subcode;
        error
    }
}

#[derive(Debug, Default)]
pub struct FaultScript {
    entries: Vec<(u32, FakeFault)>,
}

impl FaultScript {
    pub fn push(&mut self, times: u32, fault: FakeFault) {
        if times > 0 {
            self.entries.push((times, fault));
        }
    }

    /// The first scripted fault matching this call, counted down.
    pub fn take(&mut self, target: FaultTarget, recipient: Option<&str>) -> Option<GraphError> {
        let index = self
            .entries
            .iter()
            .position(|(_, f)| f.matches(target, recipient))?;
        let (left, fault) = &mut self.entries[index];
        let error = fault.to_error();
        *left -= 1;
        if *left == 0 {
            self.entries.remove(index);
        }
        Some(error)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_fires_exactly_n_times() {
        let mut script = FaultScript::default();
        script.push(2, FakeFault::code(131000));
        assert!(script.take(FaultTarget::Messages, None).is_some());
        assert!(script.take(FaultTarget::Messages, None).is_some());
        assert!(script.take(FaultTarget::Messages, None).is_none());
    }

    #[test]
    fn a_scoped_fault_spares_other_recipients() {
        let mut script = FaultScript::default();
        script.push(1, FakeFault::code(131056).for_recipient("+1 650 555 1234"));
        assert!(script
            .take(FaultTarget::Messages, Some("+16505550000"))
            .is_none());
        let error = script.take(FaultTarget::Messages, Some("16505551234"));
        assert_eq!(error.map(|e| e.code), Some(131056));
    }

    #[test]
    fn status_override_replaces_the_table_status() {
        let mut script = FaultScript::default();
        script.push(1, FakeFault::code(130429).with_status(429));
        let error = script.take(FaultTarget::Messages, None);
        assert_eq!(error.map(|e| e.status), Some(StatusCode::TOO_MANY_REQUESTS));
    }
}
