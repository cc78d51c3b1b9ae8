package kernel

import (
	"reflect"
	"testing"
)

func TestParseCreateDDL(t *testing.T) {
	tests := []struct {
		name string
		ddl  string
		want createDDL
	}{
		{"TemporaryTable", "CREATE TEMPORARY TABLE `default_catalog`.`default_database`.`orders` (\n  `id` BIGINT NOT NULL,\n" +
			"  `ts` TIMESTAMP(3),\n  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND,\n  CONSTRAINT `PK_id` PRIMARY KEY (`id`) NOT ENFORCED\n)\n" +
			"COMMENT 'the orders'\nWITH (\n  'connector' = 'datagen',\n  'password' = 'hunter2',\n  'path' = '/tmp/it''s'\n)\n",
			createDDL{temporary: true, comment: "the orders", options: []CatalogOption{
				{Key: "connector", Value: "datagen"}, {Key: "password", Value: "hunter2"}, {Key: "path", Value: "/tmp/it's"}}}},
		{"PartitionedWithOddNames", "CREATE TABLE `c`.`d`.`we``ird` (\n  `a b` INT,\n  `m` VARCHAR(2147483647) METADATA FROM 'x' VIRTUAL\n)\n" +
			"PARTITIONED BY (`p`)\nWITH (\n  'connector' = 'filesystem',\n  'format' = 'csv'\n)\n",
			createDDL{options: []CatalogOption{{Key: "connector", Value: "filesystem"}, {Key: "format", Value: "csv"}}}},
		{"NoOptions", "CREATE TABLE `c`.`d`.`t` (\n  `a` INT\n)\n", createDDL{}},
		{"TemporaryView", "CREATE TEMPORARY VIEW `c`.`d`.`v2` (\n  `x`\n)\nAS SELECT `t2`.`x`\nFROM `c`.`d`.`t2` AS `t2`\n",
			createDDL{temporary: true, query: "SELECT `t2`.`x`\nFROM `c`.`d`.`t2` AS `t2`"}},
		{"ViewWithComment", "CREATE VIEW `c`.`d`.`v` (\n  `a`\n)\nCOMMENT 'as it was'\nAS SELECT 1 AS `a`\n",
			createDDL{comment: "as it was", query: "SELECT 1 AS `a`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCreateDDL(tt.ddl); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestIsSecretOption(t *testing.T) {
	tests := []struct {
		key, value string
		want       bool
	}{
		{"password", "x", true},
		{"ssl.keystore.password", "x", true},
		{"properties.sasl.jaas.config", "x", true},
		{"fs.s3a.access.key", "x", true},
		{"fs.s3a.secret.key", "x", true},
		{"aws.credentials.provider.basic.secretkey", "x", true},
		{"auth.token", "x", true},
		{"api-key", "x", true},
		{"url", "jdbc:mysql://h/db?user=a&password=b", true},
		{"connector", "kafka", false},
		{"key.format", "json", false},
		{"key.fields", "id", false},
		{"value.format", "json", false},
		{"properties.bootstrap.servers", "127.0.0.1:9092", false},
		{"topic", "orders", false},
	}
	for _, tt := range tests {
		if got := IsSecretOption(tt.key, tt.value); got != tt.want {
			t.Errorf("IsSecretOption(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
		}
	}
}

func TestQualifiedName(t *testing.T) {
	if got := QualifiedName("default_catalog", "my db", "we`ird"); got != "`default_catalog`.`my db`.`we``ird`" {
		t.Fatalf("got %s", got)
	}
}
