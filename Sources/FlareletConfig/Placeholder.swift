enum FlareletConfigPlaceholder {}
