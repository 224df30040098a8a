//! What a dry run shows per task family: the fields that the new revision
//! changes, and the container's environment with values masked unless the
//! name is known to be harmless — and even then when the value has the
//! shape of a credential; secrets by the name of where they come from.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::ContainerDefinition;

use super::taskdef::{self, Described};
use crate::outcome::update::{EnvVar, FieldChange, SecretRef};
use crate::redact::{self, KnownSecrets, MASK};

/// Variables whose values say where things are, not how to get in.
pub(crate) const ENV_ALLOW_LIST: &[&str] = &[
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "DATABASE_HOST",
    "DATABASE_NAME",
    "DATABASE_PORT",
    "DATABASE_SSLMODE",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
    "NODE_ENV",
    "PORT",
];

/// Field-level differences between the revision now and the request that
/// would register the next one. The copy keeps everything but the image,
/// so anything else listed here is a finding in itself.
pub(crate) fn changes(old: &Described, new: &RegisterTaskDefinitionInput) -> Vec<FieldChange> {
    let td = &old.definition;
    let mut out: Vec<FieldChange> = taskdef::carried_differences(td, new)
        .into_iter()
        .map(|(field, old, new)| FieldChange {
            field: field.to_owned(),
            old: redact::shapes(&old).into_owned(),
            new: redact::shapes(&new).into_owned(),
        })
        .collect();
    // Every value shown goes through the credential shapes, whatever the
    // field: a tag or an image can carry a token as well as a variable can.
    let mut field = |name: String, a: String, b: String| {
        if a != b {
            out.push(FieldChange {
                field: name,
                old: redact::shapes(&a).into_owned(),
                new: redact::shapes(&b).into_owned(),
            });
        }
    };
    if old.tags.as_slice() != new.tags() {
        field("tags".into(), format!("{:?}", old.tags), format!("{:?}", new.tags()));
    }
    for (i, new_c) in new.container_definitions().iter().enumerate() {
        let name = new_c.name().unwrap_or("?");
        let Some(old_c) = td.container_definitions().iter().find(|c| c.name() == new_c.name()) else {
            field(format!("containerDefinitions[{i}]"), "absent".into(), name.to_owned());
            continue;
        };
        field(
            format!("containerDefinitions[{name}].image"),
            old_c.image().unwrap_or_default().to_owned(),
            new_c.image().unwrap_or_default().to_owned(),
        );
        let mut same_image = new_c.clone();
        same_image.image = old_c.image.clone();
        if &same_image != old_c {
            // Values could be secrets: name the change, never print it.
            field(
                format!("containerDefinitions[{name}] (other settings)"),
                "…".into(),
                "changed".into(),
            );
        }
    }
    out
}

/// The container's environment as the report may show it: a value is
/// shown only when its name is on the allow-list, and then with any
/// credential in it masked (`postgres://admin:pw@db` under `DATABASE_HOST`).
pub(crate) fn environment(container: &ContainerDefinition) -> Vec<EnvVar> {
    let mut vars: Vec<EnvVar> = container
        .environment()
        .iter()
        .filter_map(|kv| {
            let name = kv.name()?.to_owned();
            let raw = kv.value().unwrap_or_default();
            let allowed = ENV_ALLOW_LIST.contains(&name.as_str());
            let shown = if allowed { redact::shapes(raw) } else { MASK.into() };
            Some(EnvVar {
                masked: !allowed || shown != raw,
                value: shown.into_owned(),
                name,
            })
        })
        .collect();
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// What the report masks in the container's environment, for masking the
/// same values where the container repeats them (its log lines): every
/// value not on the allow-list, and the credentials of URLs in any value.
pub(crate) fn sensitive_values(container: &ContainerDefinition) -> KnownSecrets {
    KnownSecrets::new(container.environment().iter().flat_map(|kv| {
        let raw = kv.value().unwrap_or_default();
        let allowed = kv.name().is_some_and(|n| ENV_ALLOW_LIST.contains(&n));
        let mut values = redact::url_credentials(raw);
        if !allowed {
            values.push(raw.to_owned());
        }
        values
    }))
}

pub(crate) fn secrets(container: &ContainerDefinition) -> Vec<SecretRef> {
    container
        .secrets()
        .iter()
        .map(|s| SecretRef {
            name: s.name().to_owned(),
            value_from: s.value_from().to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing;

    #[test]
    fn only_the_image_changes_and_values_stay_masked() {
        let described = testing::described_full("alpha-gunicorn", 7, "gunicorn", "repo/acme-backend:v1");
        let input = testing::copied_input(&described, "gunicorn", "repo/acme-backend:v2");
        let diff = changes(&described, &input);
        assert_eq!(diff.len(), 1, "{diff:?}");
        assert_eq!(diff[0].field, "containerDefinitions[gunicorn].image");
        assert_eq!(diff[0].new, "repo/acme-backend:v2");

        let container = described.container("gunicorn").unwrap();
        let env = environment(container);
        assert_eq!(env[0].name, "DATABASE_NAME");
        assert_eq!(env[0].value, "alpha-db");
        assert_eq!(env[1].name, "SECRET_TOKEN_HINT");
        assert_eq!(env[1].value, MASK);
        let secrets = secrets(container);
        assert_eq!(secrets[0].name, "DATABASE_PASSWORD");
        assert!(secrets[0].value_from.starts_with("arn:aws:secretsmanager"));
    }

    #[test]
    fn an_allow_listed_value_holding_a_credential_is_masked_and_remembered() {
        use aws_sdk_ecs::types::KeyValuePair;
        let mut container = testing::container("gunicorn", "r:v1");
        container.environment = Some(vec![
            KeyValuePair::builder()
                .name("DATABASE_HOST")
                .value("postgres://admin:SUPERSECRET@db")
                .build(),
            KeyValuePair::builder().name("DATABASE_PORT").value("5432").build(),
            KeyValuePair::builder().name("API_KEY").value("k-0123456789").build(),
        ]);
        let shown: Vec<(String, String, bool)> = environment(&container)
            .into_iter()
            .map(|v| (v.name, v.value, v.masked))
            .collect();
        assert_eq!(
            shown,
            [
                ("API_KEY".into(), MASK.into(), true),
                ("DATABASE_HOST".into(), format!("postgres://{MASK}@db"), true),
                ("DATABASE_PORT".into(), "5432".into(), false),
            ]
        );
        let known = sensitive_values(&container);
        assert_eq!(
            known.mask("auth SUPERSECRET key k-0123456789 port 5432"),
            format!("auth {MASK} key {MASK} port 5432")
        );
    }
}
