//! The JSON digest printed by `pulumi preview --json`.
//!
//! Every field is optional and unknown fields are ignored: the digest has
//! grown over Pulumi releases and a summary must not fail because a newer CLI
//! added something.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewDigest {
    #[serde(default, deserialize_with = "null_as_default")]
    pub config: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub steps: Vec<PreviewStep>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub diagnostics: Vec<Diagnostic>,
    /// Nanoseconds, as Go's `time.Duration` serialises.
    #[serde(default)]
    pub duration: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub change_summary: BTreeMap<String, i64>,
    #[serde(default)]
    pub maybe_corrupt: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewStep {
    pub op: String,
    #[serde(default)]
    pub urn: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub old_state: Option<ResourceState>,
    #[serde(default)]
    pub new_state: Option<ResourceState>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub diff_reasons: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub replace_reasons: Vec<String>,
    #[serde(default)]
    pub detailed_diff: Option<BTreeMap<String, PropertyDiff>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceState {
    #[serde(default, rename = "type")]
    pub type_token: String,
    #[serde(default)]
    pub urn: String,
    #[serde(default)]
    pub id: Option<String>,
    /// Kept unparsed: a large preview carries megabytes of property values
    /// of which a report shows a few. [`ResourceState::inputs`] parses them.
    #[serde(default, rename = "inputs")]
    raw_inputs: Option<Box<RawValue>>,
    #[serde(default, rename = "outputs")]
    raw_outputs: Option<Box<RawValue>>,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub protect: bool,
}

impl ResourceState {
    /// The inputs, parsed, with every secret blinded.
    pub fn inputs(&self) -> Option<Value> {
        parse_blinded(self.raw_inputs.as_deref())
    }

    /// The outputs, parsed, with every secret blinded.
    pub fn outputs(&self) -> Option<Value> {
        parse_blinded(self.raw_outputs.as_deref())
    }
}

fn parse_blinded(raw: Option<&RawValue>) -> Option<Value> {
    let raw = raw?.get();
    // The digest's parse checked the syntax already, so what fails here is
    // serde_json's nesting limit (128 levels). Parsed one property at a
    // time, only the properties too deep to read stand for a note; the
    // rest show as they are.
    let too_deep = || Value::String(value::TOO_DEEP.to_owned());
    let mut value = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| {
        match serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(raw) {
            Ok(properties) => Value::Object(
                properties
                    .into_iter()
                    .map(|(key, v)| (key, serde_json::from_str(v.get()).unwrap_or_else(|_| too_deep())))
                    .collect(),
            ),
            Err(_) => too_deep(),
        }
    });
    value::blind_secrets(&mut value);
    Some(value)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDiff {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub input_diff: bool,
}

impl PropertyDiff {
    pub fn forces_replacement(&self) -> bool {
        self.kind.ends_with("-replace")
    }

    /// What happens to the property, without the replacement marker. A
    /// kind this version does not know reads as an update: something changes.
    pub fn base_kind(&self) -> super::changes::DiffKind {
        use super::changes::DiffKind;
        match self.kind.strip_suffix("-replace").unwrap_or(&self.kind) {
            "add" => DiffKind::Add,
            "delete" => DiffKind::Delete,
            _ => DiffKind::Update,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    #[serde(default)]
    pub urn: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub severity: DiagnosticSeverity,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticSeverity {
    Error,
    Warning,
    #[default]
    Info,
    /// What the program wrote to stderr (`info#err`): where language hosts
    /// put the errors that stop a program.
    Stderr,
    Debug,
}

impl<'de> Deserialize<'de> for DiagnosticSeverity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(match raw.as_str() {
            "error" => DiagnosticSeverity::Error,
            "warning" => DiagnosticSeverity::Warning,
            "debug" => DiagnosticSeverity::Debug,
            "info#err" => DiagnosticSeverity::Stderr,
            // Anything new is shown as info.
            _ => DiagnosticSeverity::Info,
        })
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl PreviewDigest {
    /// Replaces every secret value, wherever it sits, by the `[secret]`
    /// placeholder, so nothing later can print one by accident.
    pub(super) fn blind_secrets(&mut self) {
        // Resource properties stay raw until read, and are blinded then.
        for v in self.config.values_mut() {
            value::blind_secrets(v);
        }
    }
}

/// The parts of a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`.
/// The one place URNs are taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrnParts<'a> {
    pub stack: &'a str,
    pub project: &'a str,
    pub qualified_type: &'a str,
    pub name: &'a str,
}

impl<'a> UrnParts<'a> {
    pub fn parse(urn: &'a str) -> Option<Self> {
        let rest = urn.strip_prefix("urn:pulumi:")?;
        let mut parts = rest.splitn(4, "::");
        Some(UrnParts {
            stack: parts.next()?,
            project: parts.next()?,
            qualified_type: parts.next()?,
            name: parts.next()?,
        })
    }

    /// The resource's own type: the last `$`-separated segment.
    pub fn resource_type(&self) -> &'a str {
        self.qualified_type.rsplit('$').next().unwrap_or(self.qualified_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_parts_keep_double_colons_inside_names() {
        let urn = "urn:pulumi:dev::proj::aws:ec2/vpc:Vpc$aws:ec2/subnet:Subnet::odd::name";
        let parts = UrnParts::parse(urn).unwrap();
        assert_eq!(parts.resource_type(), "aws:ec2/subnet:Subnet");
        assert_eq!(parts.name, "odd::name");
        assert_eq!(UrnParts::parse("not-a-urn"), None);
    }

    #[test]
    fn unknown_fields_and_nulls_are_tolerated() {
        let json = r#"{"steps":[{"op":"teleport","urn":"urn:pulumi:a::b::c:d:E::n","detailedDiff":null,"futureField":1}],
                       "diagnostics":null,"changeSummary":{"teleport":1},"somethingNew":{}}"#;
        let digest = super::super::parse(json).unwrap();
        assert_eq!(digest.steps[0].op, "teleport");
        assert!(digest.diagnostics.is_empty());
    }

    /// A value nested deeper than 128 levels rendered as an empty cell.
    #[test]
    fn a_value_too_deep_to_parse_says_so_and_its_siblings_still_show() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let json = format!(
            r#"{{"steps":[{{"op":"update","urn":"urn:pulumi:dev::p::t:m:T::n",
                "newState":{{"inputs":{{"deep":{deep},"plain":"x"}}}},
                "diffReasons":["deep","plain"]}}]}}"#
        );
        let digest = super::super::parse(&json).unwrap();
        let changes = crate::preview::ChangeSet::from_digest(&digest);
        let shown: Vec<(&str, Option<&str>)> = changes.resources[0]
            .properties
            .iter()
            .map(|p| (p.path.as_str(), p.after.as_deref()))
            .collect();
        assert_eq!(shown, [("deep", Some(value::TOO_DEEP)), ("plain", Some("x"))]);
    }
}
