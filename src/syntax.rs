//! The syntax AWS and Docker give the names, ids and image references that
//! stackpilot passes on: one pattern per kind, used by the deploy contract's
//! checks, its JSON Schema and the task definition preflight, so that the
//! three can never disagree.
//!
//! Every pattern is anchored and written in the common subset of Rust's
//! `regex` and ECMAScript, because the schema's copies are evaluated by
//! JSON Schema validators.

use std::sync::LazyLock;

use regex::Regex;

/// An ECS cluster, service, task family or container name: 1 to 255
/// letters, digits, hyphens and underscores.
pub(crate) const ECS_NAME: &str = "^[A-Za-z0-9_-]{1,255}$";

/// An AWS region code: `us-east-1`, `eu-central-2`, `us-gov-west-1`.
pub(crate) const REGION: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";

/// A VPC subnet id: `subnet-` and 8 or 17 lowercase hex digits.
pub(crate) const SUBNET_ID: &str = "^subnet-([0-9a-f]{8}|[0-9a-f]{17})$";

/// A VPC security group id: `sg-` and 8 or 17 lowercase hex digits.
pub(crate) const SECURITY_GROUP_ID: &str = "^sg-([0-9a-f]{8}|[0-9a-f]{17})$";

// The pieces of Docker's reference grammar (the `distribution/reference`
// specification): a repository is an optional registry host and one or
// more lowercase path components.
macro_rules! domain_component {
    () => {
        "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    };
}
macro_rules! path_component {
    () => {
        "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    };
}
/// A registry host is told from a first path component by a dot, a port or
/// being `localhost`, as Docker tells them apart.
macro_rules! registry {
    () => {
        concat!(
            "(?:localhost(?::[0-9]+)?|",
            domain_component!(),
            "(?:\\.",
            domain_component!(),
            ")+(?::[0-9]+)?|",
            domain_component!(),
            ":[0-9]+)"
        )
    };
}
macro_rules! repository {
    () => {
        concat!(
            "(?:",
            registry!(),
            "/)?",
            path_component!(),
            "(?:/",
            path_component!(),
            ")*"
        )
    };
}
macro_rules! tag {
    () => {
        "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
    };
}
macro_rules! digest {
    () => {
        "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
    };
}

/// A Docker repository without a tag or digest: `[registry/]path`, path
/// components in lowercase (`ghcr.io/acme/web`, `library/nginx`).
pub(crate) const DOCKER_REPOSITORY: &str = concat!("^", repository!(), "$");

/// An Amazon ECR repository URI: `<12-digit account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`.
pub(crate) const ECR_REPOSITORY: &str = concat!(
    "^[0-9]{12}\\.dkr\\.ecr\\.[a-z]{2}(-[a-z]+)+-[0-9]{1,2}\\.amazonaws\\.com(\\.cn)?/",
    path_component!(),
    "(?:/",
    path_component!(),
    ")*$"
);

/// A Docker image reference: `repository[:tag][@digest]`.
pub(crate) const IMAGE_REFERENCE: &str = concat!("^", repository!(), "(?::", tag!(), ")?(?:@", digest!(), ")?$");

/// Docker's (and ECS's) limit on the length of an image reference.
pub(crate) const IMAGE_MAX_LEN: usize = 255;

/// One of the patterns above, compiled once.
pub(crate) struct Pattern {
    compiled: LazyLock<Regex>,
}

macro_rules! pattern {
    ($name:ident = $source:expr) => {
        pub(crate) static $name: Pattern = Pattern {
            compiled: LazyLock::new(|| Regex::new($source).unwrap_or_else(|e| panic!("{}: {e}", $source))),
        };
    };
}

pattern!(ECS_NAME_RE = ECS_NAME);
pattern!(REGION_RE = REGION);
pattern!(SUBNET_ID_RE = SUBNET_ID);
pattern!(SECURITY_GROUP_ID_RE = SECURITY_GROUP_ID);
pattern!(DOCKER_REPOSITORY_RE = DOCKER_REPOSITORY);
pattern!(ECR_REPOSITORY_RE = ECR_REPOSITORY);
pattern!(IMAGE_REFERENCE_RE = IMAGE_REFERENCE);

impl Pattern {
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }
}

/// Whether `image` is a reference ECS and Docker accept.
pub(crate) fn is_image_reference(image: &str) -> bool {
    image.len() <= IMAGE_MAX_LEN && IMAGE_REFERENCE_RE.matches(image)
}

/// Whether `uri` names an ECR repository or, when its host is not ECR's, a
/// Docker repository; either without a tag or digest.
pub(crate) fn is_repository(uri: &str) -> bool {
    let host = uri.split('/').next().unwrap_or_default();
    let length_ok = uri.len() <= IMAGE_MAX_LEN;
    if host.contains(".dkr.ecr.") {
        length_ok && ECR_REPOSITORY_RE.matches(uri)
    } else {
        length_ok && DOCKER_REPOSITORY_RE.matches(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_is_anchored() {
        for (source, p) in [
            (ECS_NAME, &ECS_NAME_RE),
            (REGION, &REGION_RE),
            (SUBNET_ID, &SUBNET_ID_RE),
            (SECURITY_GROUP_ID, &SECURITY_GROUP_ID_RE),
            (DOCKER_REPOSITORY, &DOCKER_REPOSITORY_RE),
            (ECR_REPOSITORY, &ECR_REPOSITORY_RE),
            (IMAGE_REFERENCE, &IMAGE_REFERENCE_RE),
        ] {
            assert!(source.starts_with('^') && source.ends_with('$'), "{source}");
            assert!(!p.matches(""), "{source} matches the empty string");
        }
    }

    #[test]
    fn ecs_names() {
        for ok in ["alpha-cluster", "alpha_backend-update", "A1", &"a".repeat(255)] {
            assert!(ECS_NAME_RE.matches(ok), "{ok}");
        }
        for bad in ["", "alpha cluster", "alpha\n$(id)", "a.b", "a/b", "é", &"a".repeat(256)] {
            assert!(!ECS_NAME_RE.matches(bad), "{bad:?}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
            "cn-north-1",
            "us-isob-east-1",
        ] {
            assert!(REGION_RE.matches(ok), "{ok}");
        }
        for bad in [
            "../../evil",
            "us-east",
            "US-EAST-1",
            "us-east-1\n",
            "useast1",
            "us-east-1/x",
            "local",
        ] {
            assert!(!REGION_RE.matches(bad), "{bad:?}");
        }
    }

    #[test]
    fn vpc_ids() {
        for ok in ["subnet-0123abcd", "subnet-0123456789abcdef0"] {
            assert!(SUBNET_ID_RE.matches(ok), "{ok}");
        }
        for bad in [
            "subnet-1",
            "subnet-0123ABCD",
            "subnet-0123abcd0",
            "sg-0123abcd",
            "subnet-priv-a",
        ] {
            assert!(!SUBNET_ID_RE.matches(bad), "{bad}");
        }
        assert!(SECURITY_GROUP_ID_RE.matches("sg-0123456789abcdef0"));
        assert!(!SECURITY_GROUP_ID_RE.matches("sg-app"));
    }

    #[test]
    fn image_references_follow_dockers_grammar() {
        for ok in [
            "nginx",
            "library/nginx:1.27",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:v2",
            "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
            "localhost:5000/acme/web",
            "ghcr.io/acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ghcr.io/acme/web:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "a__b/c-d--e.f",
        ] {
            assert!(is_image_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "acme/Web",
            "acme/web:v 1",
            "acme/web:",
            "acme/web:-v1",
            "acme//web",
            "acme/web\n",
            "acme/web@sha256:123",
            "-acme/web",
            "acme/web:v1:v2",
            &format!("acme/{}", "a".repeat(251)),
        ] {
            assert!(!is_image_reference(bad), "{bad:?}");
        }
    }

    #[test]
    fn repositories_are_ecr_uris_or_docker_repositories_without_a_tag() {
        for ok in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/web",
            "ghcr.io/acme/web",
            "repo/acme-backend",
        ] {
            assert!(is_repository(ok), "{ok}");
        }
        for bad in [
            "1.dkr.ecr.us-east-1.amazonaws.com/acme-backend",
            "123456789012.dkr.ecr.../../evil.amazonaws.com/x",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme backend",
            "ghcr.io/acme/web:v1",
            "acme web",
        ] {
            assert!(!is_repository(bad), "{bad:?}");
        }
    }
}
