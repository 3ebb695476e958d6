// Package sdkconv copies a value between two structurally equal type
// families by field and type name: Leadflow's awsapi shapes and the AWS
// SDK's. Tests use it to send the same request through both clients and
// to compare what each decodes from the same response.
package sdkconv

import (
	"fmt"
	"reflect"
	"strings"
)

// Convert copies src into dst (a pointer). Interface values (DynamoDB's
// AttributeValue members) are matched by their concrete type's name among
// members, the destination family's types.
func Convert(dst, src any, members ...any) error {
	byName := map[string]reflect.Type{}
	for _, m := range members {
		t := reflect.TypeOf(m)
		byName[t.Elem().Name()] = t
	}
	return convert(dst, src, state{byName: byName})
}

// ConvertKnown copies src into dst like Convert, leaving out the fields dst
// has no field for (to compare an SDK output with Leadflow's smaller one).
func ConvertKnown(dst, src any) error {
	return convert(dst, src, state{byName: map[string]reflect.Type{}, skipUnknown: true})
}

type state struct {
	byName      map[string]reflect.Type
	skipUnknown bool
}

func convert(dst, src any, st state) error {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src)
	if s.Kind() == reflect.Pointer && d.Kind() != reflect.Pointer {
		s = s.Elem()
	}
	return conv(d, s, st, "")
}

func conv(dst, src reflect.Value, st state, path string) error {
	if src.Type() == dst.Type() {
		dst.Set(src)
		return nil
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return nil
		}
		if dst.Kind() != reflect.Pointer {
			return fmt.Errorf("%s: %s to %s", path, src.Type(), dst.Type())
		}
		p := reflect.New(dst.Type().Elem())
		if err := conv(p.Elem(), src.Elem(), st, path); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return nil
		}
		inner := src.Elem()
		name := inner.Type().Elem().Name()
		t, ok := st.byName[name]
		if !ok {
			return fmt.Errorf("%s: no member type %s", path, name)
		}
		p := reflect.New(t.Elem())
		if err := conv(p.Elem(), inner.Elem(), st, path); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			f := src.Type().Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			df := dst.FieldByName(f.Name)
			if !df.IsValid() {
				if src.Field(i).IsZero() || st.skipUnknown {
					continue
				}
				return fmt.Errorf("%s.%s: not in %s", path, f.Name, dst.Type())
			}
			if err := conv(df, src.Field(i), st, path+"."+f.Name); err != nil {
				return err
			}
		}
	case reflect.Map:
		if src.IsNil() {
			return nil
		}
		m := reflect.MakeMapWithSize(dst.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			v := reflect.New(dst.Type().Elem()).Elem()
			if err := conv(v, it.Value(), st, path+"["+fmt.Sprint(it.Key())+"]"); err != nil {
				return err
			}
			k := reflect.New(dst.Type().Key()).Elem()
			k.Set(it.Key().Convert(dst.Type().Key()))
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Slice:
		if src.IsNil() {
			return nil
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			if err := conv(s.Index(i), src.Index(i), st, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		dst.Set(s)
	default:
		if !src.Type().ConvertibleTo(dst.Type()) || strings.Contains(dst.Type().String(), "Metadata") {
			return fmt.Errorf("%s: %s to %s", path, src.Type(), dst.Type())
		}
		dst.Set(src.Convert(dst.Type()))
	}
	return nil
}
