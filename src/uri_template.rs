//! RFC 6570 level-1 URI templates (`scheme://a/{var}/b`): enough to match a uri and pull out its
//! variables. A variable matches one or more characters other than `/`.

use std::collections::HashMap;

/// A parsed template: literal text and variable names, alternating.
#[derive(Debug, Clone)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Var(String),
}

impl UriTemplate {
    /// Parses a template; an unclosed `{` is taken literally.
    pub fn new(template: &str) -> UriTemplate {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            parts.push(Part::Var(rest[open + 1..open + close].to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        UriTemplate { parts }
    }

    /// The variables of `uri` when it matches the template.
    pub fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut vars = HashMap::new();
        let mut rest = uri;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var(name) => {
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || value.contains('/') {
                        return None;
                    }
                    vars.insert(name.clone(), value.to_owned());
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_template_with_several_variables_pulls_out_each_one() {
        let t = UriTemplate::new("db://{schema}/tables/{table}");
        assert_eq!(
            t.matches("db://main/tables/users"),
            vars(&[("schema", "main"), ("table", "users")])
        );
        let t = UriTemplate::new("{scheme}://{host}/{id}.json");
        assert_eq!(
            t.matches("file://box/42.json"),
            vars(&[("scheme", "file"), ("host", "box"), ("id", "42")])
        );
    }

    #[test]
    fn a_uri_with_other_literal_text_does_not_match() {
        let t = UriTemplate::new("db://{schema}/tables/{table}");
        assert_eq!(t.matches("dbx://main/tables/users"), None);
        assert_eq!(t.matches("db://main/views/users"), None);
        assert_eq!(t.matches("db://main/tables"), None);
        assert_eq!(t.matches(""), None);
        let t = UriTemplate::new("res://{id}.json");
        assert_eq!(t.matches("res://42.txt"), None, "the literal suffix");
        assert_eq!(t.matches("res://42"), None, "no literal suffix");
        assert_eq!(UriTemplate::new("user:{id}").matches("group:42"), None);
        assert_eq!(UriTemplate::new("user:{id}").matches("42"), None);
    }

    #[test]
    fn trailing_text_after_the_template_does_not_match() {
        let t = UriTemplate::new("db://{schema}/tables/{table}");
        assert_eq!(t.matches("db://main/tables/users/rows"), None);
        assert_eq!(t.matches("db://main/tables/users/"), None);
        let t = UriTemplate::new("res://{id}.json");
        assert_eq!(t.matches("res://42.json.bak"), None);
        assert_eq!(t.matches("res://42.json/"), None);
        let t = UriTemplate::new("res://{id}/meta");
        assert_eq!(t.matches("res://42/meta/more"), None);
    }

    #[test]
    fn a_variable_is_one_or_more_characters_without_a_slash() {
        let t = UriTemplate::new("res://{id}/meta");
        assert_eq!(t.matches("res:///meta"), None, "an empty variable");
        assert_eq!(t.matches("res://a/b/meta"), None);
        let t = UriTemplate::new("res://{id}");
        assert_eq!(t.matches("res://"), None);
        assert_eq!(t.matches("res://a/b"), None);
        assert_eq!(t.matches("res://a-b.c_d"), vars(&[("id", "a-b.c_d")]));
    }

    #[test]
    fn a_variable_ends_at_the_first_occurrence_of_the_literal_after_it() {
        let t = UriTemplate::new("res://{a}-{b}");
        assert_eq!(t.matches("res://x-y-z"), vars(&[("a", "x"), ("b", "y-z")]));
    }

    #[test]
    fn a_template_without_variables_matches_only_itself() {
        let t = UriTemplate::new("res://fixed");
        assert_eq!(t.matches("res://fixed"), vars(&[]));
        assert_eq!(t.matches("res://fixed2"), None);
        assert_eq!(t.matches("res://fixe"), None);
        assert_eq!(UriTemplate::new("").matches(""), vars(&[]));
        assert_eq!(UriTemplate::new("").matches("x"), None);
    }

    #[test]
    fn an_unclosed_brace_is_literal_text() {
        let t = UriTemplate::new("res://{id");
        assert_eq!(t.matches("res://{id"), vars(&[]));
        assert_eq!(t.matches("res://42"), None);
        let t = UriTemplate::new("res://{id}/{rest");
        assert_eq!(t.matches("res://42/{rest"), vars(&[("id", "42")]));
        assert_eq!(t.matches("res://42/x"), None);
    }
}
