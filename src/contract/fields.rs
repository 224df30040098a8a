//! The contract's fields against AWS's own syntax (`crate::syntax`): a
//! name ECS would refuse, a region that is not one, a repository with a
//! space in it are found here, before any of them reaches an API call, a
//! URL or a log line. Values are shown Debug-escaped (`"a\nb"`), so a
//! hostile one can never print over two lines.

use super::Contract;
use crate::syntax::{self, Pattern};

/// Which syntax a field must follow, and how a problem says so.
struct Kind {
    pattern: &'static Pattern,
    what: &'static str,
}

const ECS_NAME: Kind = Kind::new(
    &syntax::ECS_NAME_RE,
    "1 to 255 letters, digits, hyphens and underscores",
);
const REGION: Kind = Kind::new(&syntax::REGION_RE, "an AWS region code such as `us-east-1`");
const SUBNET: Kind = Kind::new(
    &syntax::SUBNET_ID_RE,
    "a subnet id: `subnet-` and 8 or 17 lowercase hex digits",
);
const SECURITY_GROUP: Kind = Kind::new(
    &syntax::SECURITY_GROUP_ID_RE,
    "a security group id: `sg-` and 8 or 17 lowercase hex digits",
);

impl Kind {
    const fn new(pattern: &'static Pattern, what: &'static str) -> Self {
        Kind { pattern, what }
    }
}

/// A value for an error message: quoted and escaped, never raw.
pub(crate) fn shown(value: &str) -> String {
    format!("{value:?}")
}

/// `images.backend` for a plain key, `images["a\nb"]` for any other.
pub(crate) fn image_path(kind: &str) -> String {
    if syntax::ECS_NAME_RE.matches(kind) {
        format!("images.{kind}")
    } else {
        format!("images[{}]", shown(kind))
    }
}

/// Every field whose syntax AWS fixes, checked; empty values are left to
/// the "is empty" check so that each problem is named once.
pub(super) fn syntax_problems(contract: &Contract) -> Vec<String> {
    let mut fields: Vec<(String, &str, &Kind)> = vec![
        ("region".into(), &contract.region, &REGION),
        ("cluster".into(), &contract.cluster, &ECS_NAME),
        (
            "migration.taskFamily".into(),
            &contract.migration.task_family,
            &ECS_NAME,
        ),
        ("migration.container".into(), &contract.migration.container, &ECS_NAME),
    ];
    for (i, s) in contract.services.iter().enumerate() {
        fields.push((format!("services[{i}].name"), &s.name, &ECS_NAME));
        fields.push((format!("services[{i}].service"), &s.service, &ECS_NAME));
        fields.push((format!("services[{i}].taskFamily"), &s.task_family, &ECS_NAME));
        fields.push((format!("services[{i}].container"), &s.container, &ECS_NAME));
    }
    for (i, id) in contract.network.subnets.iter().enumerate() {
        fields.push((format!("network.subnets[{i}]"), id, &SUBNET));
    }
    for (i, id) in contract.network.security_groups.iter().enumerate() {
        fields.push((format!("network.securityGroups[{i}]"), id, &SECURITY_GROUP));
    }
    let mut problems: Vec<String> = fields
        .into_iter()
        .filter(|(_, value, kind)| !value.trim().is_empty() && !kind.pattern.matches(value))
        .map(|(path, value, kind)| format!("{path} {} is not {}", shown(value), kind.what))
        .collect();
    for (kind, repo) in &contract.images {
        if repo.trim().is_empty() {
            continue;
        }
        let path = image_path(kind);
        if has_tag_or_digest(repo) {
            problems.push(format!(
                "{path} {} must be a repository without a tag or digest",
                shown(repo)
            ));
        } else if !syntax::is_repository(repo) {
            problems.push(format!(
                "{path} {} is not a repository URI: `<12-digit account>.dkr.ecr.<region>.amazonaws.com/<name>` or a Docker repository (lowercase path, no spaces)",
                shown(repo)
            ));
        }
    }
    if contract.database.chars().any(char::is_control) {
        problems.push(format!(
            "database {} holds a control character",
            shown(&contract.database)
        ));
    }
    problems
}

fn has_tag_or_digest(repo: &str) -> bool {
    repo.contains('@') || repo.rsplit('/').next().is_some_and(|last| last.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::super::tests::SAMPLE;
    use super::*;

    fn problems_with(from: &str, to: &str) -> String {
        assert!(SAMPLE.contains(from), "{from} is not in the sample");
        let text = SAMPLE.replace(from, to);
        match Contract::parse(&text, "test") {
            Ok(_) => panic!("{to} was accepted"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn contract_cluster_with_newline_and_command_substitution_is_refused() {
        let err = problems_with(r#""cluster": "alpha-cluster""#, r#""cluster": "alpha\n`$(id)`""#);
        assert!(
            err.contains(r#"cluster "alpha\n`$(id)`" is not 1 to 255 letters, digits, hyphens and underscores"#),
            "{err}"
        );
        assert!(!err.contains('\n'), "the raw value was printed: {err}");
    }

    #[test]
    fn contract_region_path_traversal_is_refused() {
        let err = problems_with(r#""region": "us-east-1""#, r#""region": "../../evil""#);
        assert!(
            err.contains(r#"region "../../evil" is not an AWS region code such as `us-east-1`"#),
            "{err}"
        );
    }

    #[test]
    fn contract_repository_with_space_is_refused() {
        let err = problems_with("amazonaws.com/acme-frontend", "amazonaws.com/acme frontend");
        assert!(
            err.contains(r#"images.frontend "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme frontend" is not a repository URI"#),
            "{err}"
        );
    }

    #[test]
    fn contract_ecr_repository_of_a_short_account_is_refused() {
        let err = problems_with(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend",
            "1.dkr.ecr.us-east-1.amazonaws.com/acme-backend",
        );
        assert!(
            err.contains(r#"images.backend "1.dkr.ecr.us-east-1.amazonaws.com/acme-backend" is not a repository URI"#),
            "{err}"
        );
    }

    #[test]
    fn contract_repository_with_a_tag_is_named_once() {
        let err = problems_with("amazonaws.com/acme-backend\"", "amazonaws.com/acme-backend:v1\"");
        assert_eq!(err.matches("images.backend").count(), 1, "{err}");
        assert!(err.contains("must be a repository without a tag or digest"), "{err}");
    }

    #[test]
    fn contract_image_kind_with_a_newline_is_shown_escaped() {
        let err = problems_with(r#""frontend": "123456789012"#, r#""front\nend": "123456789012"#);
        assert!(
            err.contains(r#"names image "frontend", which is not in images"#),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn contract_subnet_and_security_group_ids_must_be_vpc_ids() {
        let err = problems_with(
            r#"["subnet-0123abcd"], "securityGroups": ["sg-0123abcd"]"#,
            r#"["subnet-priv-a"], "securityGroups": ["sg-app"]"#,
        );
        assert!(
            err.contains(r#"network.subnets[0] "subnet-priv-a" is not a subnet id"#),
            "{err}"
        );
        assert!(
            err.contains(r#"network.securityGroups[0] "sg-app" is not a security group id"#),
            "{err}"
        );
    }

    #[test]
    fn contract_family_service_and_container_names_follow_ecs() {
        let err = SAMPLE
            .replace(
                r#""taskFamily": "alpha-backend_update""#,
                r#""taskFamily": "alpha backend""#,
            )
            .replace(r#""service": "alpha-gunicorn""#, r#""service": "alpha/gunicorn""#)
            .replace(r#""container": "web-ui""#, r#""container": "web.ui""#)
            .replace(r#""name": "gunicorn""#, r#""name": "gunicorn\u202e""#);
        let err = Contract::parse(&err, "test").unwrap_err().to_string();
        for part in [
            r#"migration.taskFamily "alpha backend" is not"#,
            r#"services[0].service "alpha/gunicorn" is not"#,
            r#"services[1].container "web.ui" is not"#,
            r#"services[0].name "gunicorn\u{202e}" is not"#,
        ] {
            assert!(err.contains(part), "{part} missing from {err}");
        }
    }

    #[test]
    fn contract_database_with_a_control_character_is_refused() {
        let err = problems_with(r#""database": "alpha-db""#, r#""database": "alpha-db\u0007""#);
        assert!(
            err.contains(r#"database "alpha-db\u{7}" holds a control character"#),
            "{err}"
        );
    }

    #[test]
    fn the_sample_has_no_syntax_problem() {
        let contract = Contract::parse(SAMPLE, "test").unwrap();
        assert_eq!(syntax_problems(&contract), Vec::<String>::new());
    }
}
