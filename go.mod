module github.com/alexis-project/alexis

go 1.26
