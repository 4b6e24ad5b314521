/// The configuration keys Flarelet knows, grouped the way wrangler's environment rules group them (spec 5.3).
enum ConfigKeys {
    /// Keys an `[env.X]` section inherits from the top level when it does not set them.
    static let inheritable: [String] = [
        "name", "account_id", "compatibility_date", "compatibility_flags", "main", "find_additional_modules",
        "preserve_file_names", "base_dir", "workers_dev", "preview_urls", "routes", "route", "tsconfig", "jsx_factory",
        "jsx_fragment", "migrations", "triggers", "limits", "rules", "no_bundle", "minify", "keep_names", "logpush",
        "upload_source_maps", "placement", "assets", "observability", "build", "usage_model", "node_compat",
        "compliance_region", "first_party_worker", "python_modules", "alias", "zone_id",
    ]

    /// Binding keys that are not inherited, in the order wrangler reports them; a key present at the top level but
    /// not in the selected environment produces the 5.3 warning.
    static let notInheritable: [String] = [
        "define", "vars", "secrets", "durable_objects", "workflows", "kv_namespaces", "send_email", "queues",
        "r2_buckets", "d1_databases", "vectorize", "hyperdrive", "services", "analytics_engine_datasets",
        "dispatch_namespaces", "mtls_certificates", "tail_consumers", "unsafe", "browser", "ai",
    ]

    /// Other binding kinds wrangler knows; accepted and ignored without a warning.
    static let otherBindings: [String] = [
        "version_metadata", "pipelines", "images", "containers", "cloudchamber", "ratelimits", "secrets_store_secrets",
        "unsafe_hello_world", "worker_loaders", "vpc_services", "streaming_tail_consumers", "media", "wasm_modules",
        "text_blobs", "data_blobs",
    ]

    /// Keys only meaningful at the top level.
    static let topLevelOnly: [String] = ["keep_vars", "send_metrics", "site", "dev", "legacy_env", "env", "$schema"]

    static let environmentKeys: Set<String> = Set(inheritable + notInheritable + otherBindings)
    static let topLevelKeys: Set<String> = environmentKeys.union(topLevelOnly)

    static let d1Keys: Set<String> = [
        "binding", "database_name", "database_id", "preview_database_id", "migrations_dir", "migrations_table",
        "migrations_pattern", "remote", "experimental_remote", "database_internal_env",
    ]
    static let kvKeys: Set<String> = ["binding", "id", "preview_id", "remote", "experimental_remote"]
    static let devKeys: Set<String> = [
        "ip", "port", "local_protocol", "upstream_protocol", "host", "inspector_port", "enable_containers",
        "container_engine", "generate_types",
    ]
    static let triggersKeys: Set<String> = ["crons"]
    static let secretsKeys: Set<String> = ["required"]
}
