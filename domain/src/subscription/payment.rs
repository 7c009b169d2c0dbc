//! A payment for a subscription (seed 000's `subscription_payments`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::plan::Tier;
use crate::value::{string_value, ValueError};

/// The payment provider's id of a transaction: what makes recording the
/// same payment twice record it once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TransactionId(String);

impl TransactionId {
    /// # Errors
    /// When `text` is empty, longer than 128 characters, or holds anything
    /// but visible ASCII.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        if text.is_empty() || text.len() > 128 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValueError::new("must be 1 to 128 visible ASCII characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(TransactionId);

/// An ISO 4217 currency code, upper case (seed 000 upper-cases it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// # Errors
    /// When `text` is not three letters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let code = text.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ValueError::new(
                "must be a three-letter currency code, as USD",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Currency);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    Stripe,
    Razorpay,
    Paypal,
    Manual,
}

impl PaymentMethod {
    /// # Errors
    /// When `text` is not one of seed 000's methods.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match text {
            "stripe" => Ok(Self::Stripe),
            "razorpay" => Ok(Self::Razorpay),
            "paypal" => Ok(Self::Paypal),
            "manual" => Ok(Self::Manual),
            _ => Err(ValueError::new(
                "must be one of stripe, razorpay, paypal, manual",
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    Pending,
    Completed,
    Failed,
    Refunded,
}

impl PaymentStatus {
    /// # Errors
    /// When `text` is not one of seed 000's statuses.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match text {
            "pending" => Ok(Self::Pending),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            "refunded" => Ok(Self::Refunded),
            _ => Err(ValueError::new(
                "must be one of pending, completed, failed, refunded",
            )),
        }
    }

    pub const ALL: [Self; 4] = [Self::Pending, Self::Completed, Self::Failed, Self::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Refunded => "refunded",
        }
    }

    /// Whether a payment in this status may move to `next`, as providers
    /// report them: a pending one settles, a completed one may be refunded.
    pub fn may_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Pending, Self::Completed | Self::Failed) | (Self::Completed, Self::Refunded)
        )
    }
}

/// A payment as the provider reported it. The amount is in the currency's
/// minor unit (cents), so no rounding ever touches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub transaction_id: TransactionId,
    pub amount_minor: u64,
    pub currency: Currency,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    /// The tier it pays for, if it pays for one.
    pub tier: Option<Tier>,
    pub billing_period_start: Option<DateTime<Utc>>,
    pub billing_period_end: Option<DateTime<Utc>>,
}

impl Payment {
    /// Whether `other` reports the same transaction (amount, currency,
    /// method, tier and period), whatever its status.
    pub fn is_same_transaction(&self, other: &Self) -> bool {
        self.transaction_id == other.transaction_id
            && self.amount_minor == other.amount_minor
            && self.currency == other.currency
            && self.method == other.method
            && self.tier == other.tier
            && self.billing_period_start == other.billing_period_start
            && self.billing_period_end == other.billing_period_end
    }
}
